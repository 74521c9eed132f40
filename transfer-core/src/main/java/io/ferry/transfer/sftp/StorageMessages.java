package io.ferry.transfer.sftp;

import org.apache.sshd.sftp.server.SftpErrorStatusDataHandler;
import org.apache.sshd.sftp.server.SftpSubsystemEnvironment;

import io.ferry.storage.StorageException;

/**
 * SFTP status messages: the storage's refusals (a full quota, the storage down, an out-of-order write) reach the
 * client in words; everything else keeps MINA's generic text, which reveals nothing of the server.
 */
final class StorageMessages implements SftpErrorStatusDataHandler {

    @Override
    public String resolveErrorMessage(SftpSubsystemEnvironment sftpSubsystem, int id, Throwable e, int subStatus,
            int cmd, Object... args) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StorageException || cause instanceof UnsupportedOperationException) {
                return cause.getMessage();
            }
        }
        return SftpErrorStatusDataHandler.super.resolveErrorMessage(sftpSubsystem, id, e, subStatus, cmd, args);
    }
}
