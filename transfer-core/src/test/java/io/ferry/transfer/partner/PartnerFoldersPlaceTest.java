package io.ferry.transfer.partner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/**
 * How a delivery puts its file under the final name ({@link PartnerFolders#place}), against folders of every kind
 * of server: one that replaces in one step, one that has no such step, one whose rename fails after the old file
 * was removed. A folder here is a map of names to contents that records what was asked of it, in order; the real
 * servers (OpenSSH's sftp-server, Ferry's own FTPS) are in {@code PartnerReplaceIT}.
 */
class PartnerFoldersPlaceTest {

    /** A partner's folder in memory. */
    private static final class Folder implements RemoteFolder {
        final Map<String, String> files = new TreeMap<>();
        final List<String> asked = new ArrayList<>();
        final boolean replacesInOneStep;
        boolean renameFails;

        Folder(boolean replacesInOneStep) {
            this.replacesInOneStep = replacesInOneStep;
        }

        @Override
        public List<PartnerService.RemoteFile> list() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long size(String name) {
            return files.containsKey(name) ? files.get(name).length() : -1;
        }

        @Override
        public OutputStream write(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public InputStream read(String name) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean remove(String name) {
            asked.add("remove " + name);
            return files.remove(name) != null;
        }

        @Override
        public void rename(String from, String to) throws IOException {
            asked.add("rename " + from + " " + to);
            if (renameFails || files.containsKey(to) || !files.containsKey(from)) {
                throw new IOException("refused");
            }
            files.put(to, files.remove(from));
        }

        @Override
        public String renameReplacing(String from, String to) {
            if (!replacesInOneStep) {
                return null;
            }
            asked.add("replace " + from + " " + to);
            files.put(to, files.remove(from));
            return "one-step";
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aServerThatReplacesInOneStepShouldNeverBeAskedToRemove() throws IOException {
        Folder folder = new Folder(true);
        folder.files.put("invoice.edi", "old");
        folder.files.put(".invoice.edi.7.ferry-part", "corrected");

        PartnerFolders.place("acme", folder, ".invoice.edi.7.ferry-part", "invoice.edi", true);

        assertThat(folder.asked).containsExactly("replace .invoice.edi.7.ferry-part invoice.edi");
        assertThat(folder.files).containsExactly(Map.entry("invoice.edi", "corrected"));
    }

    @Test
    void aServerWithoutThatStepShouldHaveTheOldFileRemovedThenTheNewRenamed() throws IOException {
        Folder folder = new Folder(false);
        folder.files.put("invoice.edi", "old");
        folder.files.put(".invoice.edi.7.ferry-part", "corrected");

        PartnerFolders.place("acme", folder, ".invoice.edi.7.ferry-part", "invoice.edi", true);

        assertThat(folder.asked).containsExactly("remove invoice.edi", "rename .invoice.edi.7.ferry-part invoice.edi");
        assertThat(folder.files).containsExactly(Map.entry("invoice.edi", "corrected"));
    }

    @Test
    void aNameThatIsFreeShouldOnlyBeRenamedInto() throws IOException {
        Folder folder = new Folder(false);
        folder.files.put(".invoice.edi.7.ferry-part", "first");

        PartnerFolders.place("acme", folder, ".invoice.edi.7.ferry-part", "invoice.edi", false);

        assertThat(folder.asked).containsExactly("rename .invoice.edi.7.ferry-part invoice.edi");
        assertThat(folder.files).containsExactly(Map.entry("invoice.edi", "first"));
    }

    @Test
    void aFileThatArrivedUnderTheNameMeanwhileShouldBeReplacedNotFailTheDelivery() throws IOException {
        Folder folder = new Folder(false);
        folder.files.put(".invoice.edi.7.ferry-part", "corrected");
        folder.files.put("invoice.edi", "arrived while sending"); // the name was free when the delivery looked

        PartnerFolders.place("acme", folder, ".invoice.edi.7.ferry-part", "invoice.edi", false);

        assertThat(folder.files).containsExactly(Map.entry("invoice.edi", "corrected"));
    }

    @Test
    void aRenameThatFailsAfterTheRemoveShouldSaySoAndKeepTheNewFile() {
        Folder folder = new Folder(false);
        folder.files.put("invoice.edi", "old");
        folder.files.put(".invoice.edi.7.ferry-part", "corrected");
        folder.renameFails = true;

        assertThatThrownBy(() -> PartnerFolders.place("acme", folder, ".invoice.edi.7.ferry-part", "invoice.edi",
                true)).isInstanceOf(IOException.class)
                .hasMessageContaining("removed the partner's earlier invoice.edi, then the rename failed")
                .hasMessageContaining(".invoice.edi.7.ferry-part");
        assertThat(folder.files).containsExactly(Map.entry(".invoice.edi.7.ferry-part", "corrected"));
    }
}
