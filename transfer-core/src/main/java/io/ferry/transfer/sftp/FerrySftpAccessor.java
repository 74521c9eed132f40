package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.security.Principal;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Set;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.DirectoryHandle;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpFileSystemAccessor;
import org.apache.sshd.sftp.server.SftpSubsystemProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.Jail;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.Outcome;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.log.TransferTracker;

/**
 * Every file-system operation of an SFTP session passes here (draft-ietf-secsh-filexfer-02): the jail check on each
 * path, the account's permissions before anything on disk changes, and the transfer log around each opened file.
 * An upload's close is answered only after its bytes are forced to stable storage and its log row is committed.
 */
final class FerrySftpAccessor implements SftpFileSystemAccessor {

    /** Set on a file handle when the client itself sent SSH_FXP_CLOSE (as opposed to the session ending). */
    static final AttributeKey<Boolean> CLIENT_CLOSED = new AttributeKey<>();

    private static final Logger log = LoggerFactory.getLogger(FerrySftpAccessor.class);

    private final TransferLog transferLog;
    private final String nodeId;

    FerrySftpAccessor(TransferLog transferLog, String nodeId) {
        this.transferLog = transferLog;
        this.nodeId = nodeId;
    }

    @Override
    public Path resolveLocalFilePath(SftpSubsystemProxy subsystem, Path rootDir, String remotePath)
            throws IOException, InvalidPathException {
        if (remotePath.indexOf('\0') >= 0) {
            throw new InvalidPathException(remotePath, "NUL in path");
        }
        Path path = SftpFileSystemAccessor.super.resolveLocalFilePath(subsystem, rootDir, remotePath);
        jail(subsystem).checkInside(path);
        return path;
    }

    @Override
    public SeekableByteChannel openFile(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        Account account = account(subsystem);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        boolean read = options.contains(StandardOpenOption.READ) || !write;
        if (write) {
            require(account, Permission.WRITE, file);
        }
        if (read) {
            require(account, Permission.READ, file);
        }
        SeekableByteChannel channel = SftpFileSystemAccessor.super.openFile(subsystem, fileHandle, file, handle,
                options, attrs);
        // No handle: the subsystem's own use (check-file hashing, a size change by SETSTAT), not a transfer.
        if (fileHandle == null || !(channel instanceof FileChannel fileChannel)) {
            return channel;
        }
        return new TransferChannel(fileChannel, new TransferTracker(write ? Direction.UPLOAD : Direction.DOWNLOAD),
                virtual(file));
    }

    @Override
    public void closeFile(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Channel channel, Set<? extends OpenOption> options) throws IOException {
        if (!(channel instanceof TransferChannel transfer)) {
            SftpFileSystemAccessor.super.closeFile(subsystem, fileHandle, file, handle, channel, options);
            return;
        }
        if (!transfer.isOpen()) {
            return;
        }
        boolean clientClosed = Boolean.TRUE.equals(fileHandle.getAttribute(CLIENT_CLOSED));
        TransferTracker tracker = transfer.tracker();
        String error = null;
        String sha256 = null;
        IOException failure = null;
        try {
            if (tracker.direction() == Direction.UPLOAD) {
                transfer.file().force(true);
            }
            sha256 = tracker.sha256(transfer.file());
        } catch (IOException e) {
            failure = e;
            error = "storage error: " + describe(e);
        } finally {
            try {
                transfer.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                    error = "storage error on close: " + describe(e);
                }
            }
        }
        if (!clientClosed) {
            // The session ended with the file open (its thread may have been interrupted, closing the channel):
            // nobody is left to tell, and the cause that matters is the lost connection.
            error = "connection closed before the file was closed";
            failure = null;
        }
        ServerSession session = subsystem.getServerSession();
        Account account = session.getAttribute(SftpSessions.ACCOUNT);
        Outcome outcome = error == null ? Outcome.SUCCESS : Outcome.FAILED;
        transferLog.record(new TransferRecord(nodeId, SftpSessions.PROTOCOL, SftpSessions.sessionId(session),
                account == null ? String.valueOf(session.getUsername()) : account.getUsername(), transfer.path(),
                tracker.direction(), tracker.startOffset(), tracker.bytes(), sha256, tracker.startedAt(),
                Instant.now(), outcome, error, SftpSessions.clientAddress(session)));
        if (outcome == Outcome.SUCCESS) {
            log.info("{} {} ({} bytes from offset {}, sha256 {})", tracker.direction() == Direction.UPLOAD
                    ? "Uploaded" : "Downloaded", transfer.path(), tracker.bytes(), tracker.startOffset(), sha256);
        } else {
            log.warn("{} of {} failed after {} bytes: {}", tracker.direction() == Direction.UPLOAD
                    ? "Upload" : "Download", transfer.path(), tracker.bytes(), error);
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public DirectoryStream<Path> openDirectory(SftpSubsystemProxy subsystem, DirectoryHandle dirHandle, Path dir,
            String handle, LinkOption... linkOptions) throws IOException {
        require(account(subsystem), Permission.LIST, dir);
        return SftpFileSystemAccessor.super.openDirectory(subsystem, dirHandle, dir, handle, linkOptions);
    }

    @Override
    public void createDirectory(SftpSubsystemProxy subsystem, Path path) throws IOException {
        require(account(subsystem), Permission.MKDIR, path);
        SftpFileSystemAccessor.super.createDirectory(subsystem, path);
    }

    @Override
    public void removeFile(SftpSubsystemProxy subsystem, Path path, boolean isDirectory) throws IOException {
        require(account(subsystem), Permission.DELETE, path);
        SftpFileSystemAccessor.super.removeFile(subsystem, path, isDirectory);
    }

    @Override
    public void renameFile(SftpSubsystemProxy subsystem, Path oldPath, Path newPath, Collection<CopyOption> opts)
            throws IOException {
        require(account(subsystem), Permission.RENAME, oldPath);
        SftpFileSystemAccessor.super.renameFile(subsystem, oldPath, newPath, opts);
    }

    @Override
    public void copyFile(SftpSubsystemProxy subsystem, Path src, Path dst, Collection<CopyOption> opts)
            throws IOException {
        Account account = account(subsystem);
        require(account, Permission.READ, src);
        require(account, Permission.WRITE, dst);
        SftpFileSystemAccessor.super.copyFile(subsystem, src, dst, opts);
    }

    /** Links could point anywhere on the storage; partners may not create them. */
    @Override
    public void createLink(SftpSubsystemProxy subsystem, Path link, Path existing, boolean symLink)
            throws IOException {
        throw new AccessDeniedException(virtual(link), null, "links are not allowed");
    }

    /** Times and size: allowed with the write permission. */
    @Override
    public void setFileAttribute(SftpSubsystemProxy subsystem, Path file, String view, String attribute, Object value,
            LinkOption... options) throws IOException {
        require(account(subsystem), Permission.WRITE, file);
        SftpFileSystemAccessor.super.setFileAttribute(subsystem, file, view, attribute, value, options);
    }

    /** Modes, owners and ACLs belong to the storage, not to partners: accepted and not applied. */
    @Override
    public void setFilePermissions(SftpSubsystemProxy subsystem, Path file, Set<PosixFilePermission> perms,
            LinkOption... options) {
        log.debug("Ignoring a permission change of {}", virtual(file));
    }

    @Override
    public void setFileOwner(SftpSubsystemProxy subsystem, Path file, Principal value,
            LinkOption... options) {
        log.debug("Ignoring an owner change of {}", virtual(file));
    }

    @Override
    public void setGroupOwner(SftpSubsystemProxy subsystem, Path file, Principal value,
            LinkOption... options) {
        log.debug("Ignoring a group change of {}", virtual(file));
    }

    @Override
    public void setFileAccessControl(SftpSubsystemProxy subsystem, Path file, List<AclEntry> acl,
            LinkOption... options) {
        log.debug("Ignoring an ACL change of {}", virtual(file));
    }

    private static String describe(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void require(Account account, Permission permission, Path path) throws AccessDeniedException {
        if (!account.may(permission)) {
            log.info("Refused: no {} permission for {}", permission.key(), virtual(path));
            throw new AccessDeniedException(virtual(path), null, "no " + permission.key() + " permission");
        }
    }

    private static String virtual(Path path) {
        return path.toAbsolutePath().normalize().toString();
    }

    private static Account account(SftpSubsystemProxy subsystem) throws AccessDeniedException {
        Account account = subsystem.getServerSession().getAttribute(SftpSessions.ACCOUNT);
        if (account == null) {
            throw new AccessDeniedException("/", null, "not authenticated");
        }
        return account;
    }

    private static Jail jail(SftpSubsystemProxy subsystem) throws AccessDeniedException {
        Jail jail = subsystem.getServerSession().getAttribute(SftpSessions.JAIL);
        if (jail == null) {
            throw new AccessDeniedException("/", null, "not authenticated");
        }
        return jail;
    }
}
