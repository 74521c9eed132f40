package io.ferry.transfer.partner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/** A partner's folder over SFTP (MINA's client), the session authenticated against the pinned host key. */
final class SftpFolder implements RemoteFolder {

    private final SshClient client;
    private final ClientSession session;
    private final SftpClient sftp;
    private final String dir;
    /**
     * The server's {@code fsync@openssh.com}, looked up once: null where it has none, or once it refused one or could
     * not do it.
     */
    private OpenSSHFsyncExtension fsync;

    SftpFolder(SshClient client, ClientSession session, SftpClient sftp, String remoteDir) {
        this.client = client;
        this.session = session;
        this.sftp = sftp;
        this.dir = remoteDir.endsWith("/") ? remoteDir : remoteDir + "/";
        OpenSSHFsyncExtension offered = sftp.getExtension(OpenSSHFsyncExtension.class);
        this.fsync = offered != null && offered.isSupported() && sftp instanceof AbstractSftpClient ? offered : null;
    }

    @Override
    public List<PartnerService.RemoteFile> list() throws IOException {
        List<PartnerService.RemoteFile> files = new ArrayList<>();
        for (SftpClient.DirEntry entry : sftp.readDir(dir)) {
            var attributes = entry.getAttributes();
            if (attributes.isRegularFile()) {
                files.add(new PartnerService.RemoteFile(dir + entry.getFilename(), entry.getFilename(),
                        attributes.getSize(), attributes.getModifyTime() == null ? 0
                                : attributes.getModifyTime().toMillis()));
            }
        }
        return files;
    }

    /** Every entry's name, folders too (for the connection check). */
    List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        for (SftpClient.DirEntry entry : sftp.readDir(dir)) {
            if (!entry.getFilename().equals(".") && !entry.getFilename().equals("..")) {
                names.add(entry.getFilename());
            }
        }
        return names;
    }

    @Override
    public long size(String name) throws IOException {
        try {
            return sftp.stat(dir + name).getSize();
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return -1;
            }
            throw e;
        }
    }

    /**
     * A new file, written with MINA's pipelined writes. Where the server offers OpenSSH's {@code fsync@openssh.com}
     * (OpenSSH, MINA and Ferry do), closing the stream asks it to put the file's content on its stable storage
     * before the file is closed, so that what is renamed into place afterwards is whole after a crash of the
     * partner's system. (Whether the rename itself survives such a crash is up to the server: SFTP cannot sync a
     * directory.) A server that refuses the request, or cannot do it for that file (its policy, as OpenSSH's
     * {@code sftp-server -P} can; a file system without fsync), is not asked again on this connection; any other
     * failure of it fails the delivery. A stream whose write failed is closed without it.
     */
    @Override
    public OutputStream write(String name) throws IOException {
        String path = dir + name;
        if (fsync == null || !(sftp instanceof AbstractSftpClient client)) {
            return sftp.write(path);
        }
        SftpClient.CloseableHandle handle = sftp.open(path, SftpClient.OpenMode.Write, SftpClient.OpenMode.Create,
                SftpClient.OpenMode.Truncate);
        try {
            return new DurableStream(new SftpOutputStreamAsync(client, 0, path, handle, false), handle);
        } catch (RuntimeException e) {
            try {
                handle.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /** The pipelined writes into a handle of ours; closing it forces the file, then closes the handle (once). */
    private final class DurableStream extends OutputStream {

        private final OutputStream pipelined;
        private final SftpClient.CloseableHandle handle;
        private boolean failed;
        private boolean closed;

        DurableStream(OutputStream pipelined, SftpClient.CloseableHandle handle) {
            this.pipelined = pipelined;
            this.handle = handle;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                pipelined.write(b, off, len);
            } catch (IOException | RuntimeException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try (handle) {
                pipelined.close(); // what is left sent, the writes' acknowledgements awaited
                if (!failed && fsync != null) {
                    force();
                }
            }
        }

        private void force() throws IOException {
            try {
                fsync.fsync(handle);
            } catch (SftpException e) {
                int status = e.getStatus();
                // OpenSSH answers an fsync(2) that fails with EINVAL (no sync for that file) with BAD_MESSAGE
                if (status != SftpConstants.SSH_FX_OP_UNSUPPORTED && status != SftpConstants.SSH_FX_PERMISSION_DENIED
                        && status != SftpConstants.SSH_FX_BAD_MESSAGE) {
                    throw e;
                }
                fsync = null;
            }
        }
    }

    @Override
    public InputStream read(String name) throws IOException {
        return sftp.read(dir + name);
    }

    @Override
    public boolean remove(String name) throws IOException {
        try {
            sftp.remove(dir + name);
            return true;
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_NO_SUCH_FILE) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        sftp.rename(dir + from, dir + to);
    }

    /**
     * OpenSSH's {@code posix-rename@openssh.com} where the server offers it: rename(2), which replaces the file in
     * one step; else the rename with overwrite and atomic flags of SFTP 5 and later; else none (SFTP 3's rename fails
     * when the name is taken). A server that offers the step but refuses it (not supported, or denied by its policy,
     * as OpenSSH's {@code sftp-server -P} does) has none.
     */
    @Override
    public String renameReplacing(String from, String to) throws IOException {
        try {
            OpenSSHPosixRenameExtension posix = sftp.getExtension(OpenSSHPosixRenameExtension.class);
            if (posix != null && posix.isSupported()) {
                posix.posixRename(dir + from, dir + to);
                return posix.getName();
            }
            if (sftp.getVersion() >= SftpConstants.SFTP_V5) {
                sftp.rename(dir + from, dir + to, SftpClient.CopyMode.Overwrite, SftpClient.CopyMode.Atomic);
                return "SFTP " + sftp.getVersion() + " rename with overwrite";
            }
            return null;
        } catch (SftpException e) {
            if (e.getStatus() == SftpConstants.SSH_FX_OP_UNSUPPORTED
                    || e.getStatus() == SftpConstants.SSH_FX_PERMISSION_DENIED) {
                return null;
            }
            throw e;
        }
    }

    @Override
    public boolean isOpen() {
        return session.isOpen() && sftp.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            sftp.close();
            session.close();
        } finally {
            client.stop();
        }
    }
}
