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

    private final NodeLink link;
    private ClientSession session;
    private SftpClient meta;
    private String cwd = "/";

    SftpView(NodeLink link) throws IOException {
        this.link = link;
        this.session = link.session();
        this.meta = SftpClientFactory.instance().createSftpClient(session);
    }

    /** A new SFTP channel on the partner's session, for one transfer (on the node that serves it now). */
    SftpClient transferChannel() throws IOException {
        ClientSession now;
        synchronized (this) {
            now = session;
        }
        if (!now.isOpen()) {
            now = failover(now);
        }
        return SftpClientFactory.instance().createSftpClient(now);
    }

    synchronized ClientSession session() {
        return session;
    }

    /**
     * Whether {@code failure} came of the node's session dying (and the link may carry it over): a transfer or a
     * request that may be done again is then done again on the next node.
     */
    boolean diedUnder(ClientSession used, IOException failure) {
        return !used.isOpen() && link.canFailOver()
                && !(failure instanceof SftpException); // a node's answer is not a death
    }

    /** The session after {@code dead} died: on the node that took it over, with a new channel for requests. */
    ClientSession failover(ClientSession dead) throws IOException {
        ClientSession moved = link.failover(dead);
        synchronized (this) {
            if (moved != session) {
                session = moved;
                meta = SftpClientFactory.instance().createSftpClient(moved);
            }
            return moved;
        }
    }

    /**
     * A transfer's channel after {@code failure} on {@code used}: a new one on the node that took the session over,
     * when the node's session died under it ({@link #diedUnder}); otherwise the failure is thrown.
     */
    SftpClient channelAfter(SftpClient used, IOException failure) throws IOException {
        ClientSession dead = used.getClientSession();
        if (!diedUnder(dead, failure)) {
            throw failure;
        }
        failover(dead);
        return transferChannel();
    }

    /** One request of the partner's (a listing, a rename), on the node that serves the session now. */
    private interface Request<T> {
        T on(SftpClient meta) throws IOException;
    }

    /**
     * Runs a request; when the node dies under it, the session is carried over and the request done again if it
     * may be ({@code again}: it changes nothing, or the same again), or failed (it may or may not have been done).
     */
    private <T> T request(boolean again, Request<T> request) throws IOException {
        SftpClient now;
        synchronized (this) {
            now = meta;
        }
        if (!now.isOpen() && !session().isOpen()) {
            failover(session());
            synchronized (this) {
                now = meta;
            }
        }
        try {
            return request.on(now);
        } catch (IOException e) {
            ClientSession used = now.getClientSession();
            if (!diedUnder(used, e)) {
                throw e;
            }
            failover(used);
            if (!again) {
                throw new IOException("the node serving this session failed during the request: it may or may not "
                        + "have been done", e);
            }
            synchronized (this) {
                now = meta;
            }
            return request.on(now);
        }
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
            synchronized (this) {
                meta.close();
            }
        } catch (IOException e) {
            // the session goes next
        }
        link.close();
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
                    attributes = request(true, m -> m.stat(path));
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
                request(true, m -> {
                    m.setStat(path, new SftpClient.Attributes().accessTime(stamp).modifyTime(stamp));
                    return null;
                });
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
                request(false, m -> {
                    m.mkdir(path);
                    return null;
                });
                refresh();
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public boolean delete() {
            try {
                boolean directory = isDirectory();
                request(false, m -> {
                    if (directory) {
                        m.rmdir(path);
                    } else {
                        m.remove(path);
                    }
                    return null;
                });
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
                String to = ((File) destination).path;
                request(false, m -> {
                    m.rename(path, to);
                    return null;
                });
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
                List<SftpClient.DirEntry> entries = request(true, m -> {
                    List<SftpClient.DirEntry> all = new ArrayList<>();
                    m.readDir(path).forEach(all::add);
                    return all;
                });
                for (SftpClient.DirEntry entry : entries) {
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
