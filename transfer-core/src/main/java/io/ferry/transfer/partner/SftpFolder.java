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
    /** Whether the server takes {@code fsync@openssh.com} (until it refuses one). */
    private boolean fsyncs = true;

    SftpFolder(SshClient client, ClientSession session, SftpClient sftp, String remoteDir) {
        this.client = client;
        this.session = session;
        this.sftp = sftp;
        this.dir = remoteDir.endsWith("/") ? remoteDir : remoteDir + "/";
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
     * (OpenSSH, MINA and Ferry do), closing the stream asks it to put the file on its stable storage before the
     * file is closed: a delivery renamed into place and recorded as done is then not lost to the partner's crash.
     * A server that refuses the request (its policy, as OpenSSH's {@code sftp-server -P} can) is not asked again on
     * this connection; any other failure of it fails the delivery.
     */
    @Override
    public OutputStream write(String name) throws IOException {
        String path = dir + name;
        OpenSSHFsyncExtension fsync = sftp.getExtension(OpenSSHFsyncExtension.class);
        if (!fsyncs || fsync == null || !fsync.isSupported() || !(sftp instanceof AbstractSftpClient client)) {
            return sftp.write(path);
        }
        SftpClient.CloseableHandle handle = sftp.open(path, SftpClient.OpenMode.Write, SftpClient.OpenMode.Create,
                SftpClient.OpenMode.Truncate);
        OutputStream pipelined = new SftpOutputStreamAsync(client, 0, path, handle, false);
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                pipelined.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                pipelined.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try (handle) {
                    pipelined.close(); // what is left sent, every write acknowledged
                    force(fsync, handle);
                }
            }
        };
    }

    private void force(OpenSSHFsyncExtension fsync, SftpClient.Handle handle) throws IOException {
        try {
            fsync.fsync(handle);
        } catch (SftpException e) {
            if (e.getStatus() != SftpConstants.SSH_FX_OP_UNSUPPORTED
                    && e.getStatus() != SftpConstants.SSH_FX_PERMISSION_DENIED) {
                throw e;
            }
            fsyncs = false;
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
