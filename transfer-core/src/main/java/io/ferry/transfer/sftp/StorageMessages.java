package io.ferry.transfer.sftp;

import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpHelper;
import org.apache.sshd.sftp.server.SftpErrorStatusDataHandler;
import org.apache.sshd.sftp.server.SftpSubsystemEnvironment;

import io.ferry.storage.StorageException;
import io.ferry.transfer.session.TransferFailure;

/**
 * SFTP status codes and messages. Codes as OpenSSH's {@code sftp-server} answers them: SFTP version 3 (what OpenSSH,
 * paramiko, lftp, rclone and curl speak) knows codes 0 to 8 only, where MINA sent a later version's code that a
 * version 3 client cannot read ("Unknown status"). A later code becomes the one OpenSSH derives from the same errno
 * ({@code errno_to_portable}): not a directory and a link loop are "no such file", an invalid name or parameter is
 * "bad message", and the rest (a file that exists, a directory not empty, an invalid handle, no space) is
 * {@code SSH_FX_FAILURE}, with the later code's text as its message. Messages: the
 * storage's refusals (a full quota, named with its limit; the storage down) reach the client in words; everything
 * else keeps MINA's generic text, which reveals nothing of the server.
 */
final class StorageMessages implements SftpErrorStatusDataHandler {

    @Override
    public int resolveSubStatus(SftpSubsystemEnvironment sftpSubsystem, int id, Throwable e, int cmd,
            Object... args) {
        int status = SftpErrorStatusDataHandler.super.resolveSubStatus(sftpSubsystem, id, e, cmd, args);
        if (!beyondVersion3(sftpSubsystem, status)) {
            return status;
        }
        return switch (status) {
            case SftpConstants.SSH_FX_NOT_A_DIRECTORY, SftpConstants.SSH_FX_LINK_LOOP -> SftpConstants.SSH_FX_NO_SUCH_FILE;
            case SftpConstants.SSH_FX_INVALID_FILENAME, SftpConstants.SSH_FX_INVALID_PARAMETER ->
                SftpConstants.SSH_FX_BAD_MESSAGE;
            default -> SftpConstants.SSH_FX_FAILURE;
        };
    }

    @Override
    public String resolveErrorMessage(SftpSubsystemEnvironment sftpSubsystem, int id, Throwable e, int subStatus,
            int cmd, Object... args) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StorageException || cause instanceof UnsupportedOperationException
                    || cause instanceof TransferFailure.NotRecorded) {
                return cause.getMessage();
            }
        }
        int original = SftpErrorStatusDataHandler.super.resolveSubStatus(sftpSubsystem, id, e, cmd, args);
        if (beyondVersion3(sftpSubsystem, original)) {
            return SftpHelper.resolveStatusMessage(original);
        }
        return SftpErrorStatusDataHandler.super.resolveErrorMessage(sftpSubsystem, id, e, subStatus, cmd, args);
    }

    private static boolean beyondVersion3(SftpSubsystemEnvironment sftpSubsystem, int status) {
        return sftpSubsystem.getVersion() <= SftpConstants.SFTP_V3 && status > SftpConstants.SSH_FX_OP_UNSUPPORTED;
    }
}
