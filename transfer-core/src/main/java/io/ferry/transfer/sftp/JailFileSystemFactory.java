package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;

import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.session.SessionContext;

import io.ferry.storage.Jail;
import io.ferry.transfer.account.Account;

/** Gives each authenticated session its account's jailed file system; {@code /} is the account's home. */
final class JailFileSystemFactory implements FileSystemFactory {

    @Override
    public Path getUserHomeDir(SessionContext session) throws IOException {
        // Not needed: the SFTP subsystem starts in the root of the file system it is given, which is the home.
        return null;
    }

    @Override
    public FileSystem createFileSystem(SessionContext session) throws IOException {
        return jail(session).openFileSystem();
    }

    private static Jail jail(SessionContext session) throws IOException {
        Jail jail = session.getAttribute(SftpSessions.JAIL);
        Account account = session.getAttribute(SftpSessions.ACCOUNT);
        // The attributes are set by the last accepted authentication step; they must be the authenticated user's.
        if (jail == null || account == null || !account.getUsername().equals(session.getUsername())) {
            throw new IOException("session is not authenticated");
        }
        return jail;
    }
}
