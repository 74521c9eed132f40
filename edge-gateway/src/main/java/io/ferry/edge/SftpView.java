package io.ferry.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;

import org.apache.ftpserver.ftplet.FileSystemView;
import org.apache.ftpserver.ftplet.FtpFile;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

import io.ferry.common.FtpPaths;

/**
 * An FTPS partner's files, seen through its SFTP session on the node: listings, directories, renames and deletes
 * run as SFTP requests on one channel; every transfer gets a channel of its own ({@link #transferChannel()}), so a
 * broken transfer can be dropped (its file never closed: the node keeps it as a resumable partial upload) while the
 * partner's session goes on. The node enforces the jail, permissions and quota; this view only keeps the current
 * directory and normalises paths.
 */
final class SftpView implements FileSystemView {

    private final ClientSession session;
    private final SftpClient meta;
    private String cwd = "/";

    SftpView(ClientSession session) throws IOException {
        this.session = session;
        this.meta = SftpClientFactory.instance().createSftpClient(session);
    }

    /** A new SFTP channel on the partner's session, for one transfer. */
    SftpClient transferChannel() throws IOException {
        return SftpClientFactory.instance().createSftpClient(session);
    }

    ClientSession session() {
        return session;
    }

    @Override
    public FtpFile getHomeDirectory() {
        return new File("/", null);
    }

    @Override
    public FtpFile getWorkingDirectory() {
        return new File(cwd, null);
    }

    @Override
    public boolean changeWorkingDirectory(String dir) {
        File target = new File(resolve(dir), null);
        if (!target.isDirectory()) {
            return false;
        }
        cwd = target.path;
        return true;
    }

    @Override
    public File getFile(String name) {
        return new File(resolve(name), null);
    }

    @Override
    public boolean isRandomAccessible() {
        return true;
    }

    @Override
    public void dispose() {
        try {
            meta.close();
        } catch (IOException e) {
            // the session goes next
        }
        session.close(false);
    }

    /** An absolute, normalised path: FTP's one path rule ({@link FtpPaths}). */
    String resolve(String name) {
        return FtpPaths.absolute(cwd, name);
    }

    /** A path on the node, with its attributes fetched once when first asked. */
    final class File implements FtpFile {
        private final String path;
        private SftpClient.Attributes attributes;
        private IOException failure;
        private boolean fetched;

        File(String path, SftpClient.Attributes attributes) {
            this.path = path;
            this.attributes = attributes;
            this.fetched = attributes != null;
        }

        String path() {
            return path;
        }

        SftpClient.Attributes attributes() {
            if (!fetched) {
                fetched = true;
                try {
                    attributes = meta.stat(path);
                } catch (IOException e) {
                    attributes = null; // missing, or not allowed: both look like nothing there
                    failure = e instanceof SftpException sftp && sftp.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE
                            ? null : e;
                }
            }
            return attributes;
        }

        /**
         * What the node holds under this path, for a transfer that must not guess: the attributes, null when there
         * is nothing, or the error when the node could not say (a transfer then stops rather than start over).
         */
        SftpClient.Attributes attributesOrFail() throws IOException {
            SftpClient.Attributes known = attributes();
            if (failure != null) {
                throw failure;
            }
            return known;
        }

        /** Forget what was fetched (after this view changed the file). */
        void refresh() {
            fetched = false;
            failure = null;
        }

        @Override
        public String getAbsolutePath() {
            return path;
        }

        @Override
        public String getName() {
            return path.equals("/") ? "/" : path.substring(path.lastIndexOf('/') + 1);
        }

        @Override
        public boolean isHidden() {
            return false;
        }

        @Override
        public boolean isDirectory() {
            return attributes() != null && attributes().isDirectory();
        }

        @Override
        public boolean isFile() {
            return attributes() != null && attributes().isRegularFile();
        }

        @Override
        public boolean doesExist() {
            return attributes() != null;
        }

        @Override
        public boolean isReadable() {
            return doesExist();
        }

        @Override
        public boolean isWritable() {
            return true; // the node decides, on the write itself
        }

        @Override
        public boolean isRemovable() {
            return !path.equals("/");
        }

        @Override
        public String getOwnerName() {
            return attributes() == null || attributes().getOwner() == null ? "ferry" : attributes().getOwner();
        }

        @Override
        public String getGroupName() {
            return attributes() == null || attributes().getGroup() == null ? "ferry" : attributes().getGroup();
        }

        @Override
        public int getLinkCount() {
            return isDirectory() ? 3 : 1;
        }

        @Override
        public long getLastModified() {
            return attributes() == null || attributes().getModifyTime() == null ? 0
                    : attributes().getModifyTime().toMillis();
        }

        @Override
        public boolean setLastModified(long time) {
            try {
                // SFTP v3 carries both times or neither: a modify time alone is never sent
                FileTime stamp = FileTime.fromMillis(time);
                meta.setStat(path, new SftpClient.Attributes().accessTime(stamp).modifyTime(stamp));
                refresh();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public long getSize() {
            return attributes() == null ? 0 : attributes().getSize();
        }

        @Override
        public Object getPhysicalFile() {
            return path;
        }

        @Override
        public boolean mkdir() {
            try {
                meta.mkdir(path);
                refresh();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public boolean delete() {
            try {
                if (isDirectory()) {
                    meta.rmdir(path);
                } else {
                    meta.remove(path);
                }
                refresh();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public boolean move(FtpFile destination) {
            try {
                // RNTO as on the node itself: SSH_FXP_RENAME, which never replaces an existing file (copy modes
                // need SFTP v5+, which the node does not speak: the edge's every rename used to fail here)
                meta.rename(path, ((File) destination).path);
                refresh();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public List<? extends FtpFile> listFiles() {
            List<File> files = new ArrayList<>();
            try {
                for (SftpClient.DirEntry entry : meta.readDir(path)) {
                    String name = entry.getFilename();
                    if (name.equals(".") || name.equals("..")) {
                        continue;
                    }
                    files.add(new File(path.equals("/") ? "/" + name : path + "/" + name, entry.getAttributes()));
                }
            } catch (IOException e) {
                return null; // FtpServer answers that the directory cannot be listed
            }
            files.sort(java.util.Comparator.comparing(File::getName));
            return files;
        }

        /** Not used: the edge's own STOR, APPE and RETR move the bytes (so a broken transfer is never committed). */
        @Override
        public OutputStream createOutputStream(long offset) throws IOException {
            throw new IOException("transfers run through the edge's own commands");
        }

        @Override
        public InputStream createInputStream(long offset) throws IOException {
            throw new IOException("transfers run through the edge's own commands");
        }
    }
}
