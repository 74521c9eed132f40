package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;

import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.session.SessionContext;

/** Gives each authenticated session its account's view of the storage; {@code /} is the account's home. */
final class JailFileSystemFactory implements FileSystemFactory {

    @Override
    public Path getUserHomeDir(SessionContext session) {
        // Not needed: the SFTP subsystem starts in the root of the file system it is given, which is the home.
        return null;
    }

    @Override
    public FileSystem createFileSystem(SessionContext session) throws IOException {
        SessionAccount account = session.getAttribute(SftpSessions.ACCOUNT);
        // set by the authentication step that succeeded; it must be the authenticated user's
        // (an edge logs in under its own name and a ticket, which named the account)
        if (account == null
                || !(account.username().equals(session.getUsername()) || SftpSessions.edge(session) != null)) {
            throw new IOException("session is not authenticated");
        }
        return account.store().openFileSystem();
    }
}
