package io.ferry.transfer.partner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/** A partner's folder over SFTP (MINA's client), the session authenticated against the pinned host key. */
final class SftpFolder implements RemoteFolder {

    private final SshClient client;
    private final ClientSession session;
    private final SftpClient sftp;
    private final String dir;

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

    @Override
    public OutputStream write(String name) throws IOException {
        return sftp.write(dir + name);
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
