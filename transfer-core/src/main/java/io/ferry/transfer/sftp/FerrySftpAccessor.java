package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.security.Principal;
import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.io.IoUtils;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.DirectoryHandle;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpFileSystemAccessor;
import org.apache.sshd.sftp.server.SftpSubsystemProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.session.PartnerFiles;
import io.ferry.transfer.session.Transfer;
import io.ferry.transfer.session.TransferFailure;
import io.ferry.transfer.session.TransferOrigin;
import io.ferry.transfer.session.Transfers;

/**
 * Maps SFTP (draft-ietf-secsh-filexfer-02) onto the storage SPI: every path a client names passes
 * {@link FileStore#resolve(Path)}; the account's permissions are checked before anything on disk changes; file
 * content goes through {@link FileStore#openRead(Path)} and {@link FileStore#openUpload(Path, boolean, boolean)};
 * sizes are the storage's plaintext sizes; and each opened file is one transfer-log row. An upload's close is
 * answered only after it is complete on stable storage and its row is committed.
 */
final class FerrySftpAccessor implements SftpFileSystemAccessor {

    /** Set on a file handle when the client itself sent SSH_FXP_CLOSE (as opposed to the session ending). */
    static final AttributeKey<Boolean> CLIENT_CLOSED = new AttributeKey<>();

    private static final Logger log = LoggerFactory.getLogger(FerrySftpAccessor.class);
    private static final String MODIFIED = "lastModifiedTime";
    private static final Set<String> TIME_ATTRIBUTES = Set.of(MODIFIED, "lastAccessTime", "creationTime");

    private final Transfers transfers;

    FerrySftpAccessor(Transfers transfers) {
        this.transfers = transfers;
    }

    @Override
    public Path resolveLocalFilePath(SftpSubsystemProxy subsystem, Path rootDir, String remotePath)
            throws IOException, InvalidPathException {
        if (remotePath.indexOf('\0') >= 0) {
            throw new InvalidPathException(remotePath, "NUL in path");
        }
        account(subsystem); // every request re-checks the account (within a second of a change)
        return store(subsystem).resolve(SftpFileSystemAccessor.super.resolveLocalFilePath(subsystem, rootDir,
                remotePath));
    }

    @Override
    public SeekableByteChannel openFile(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        LiveAccount live = live(subsystem);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        TransferOrigin origin = SftpSessions.origin(subsystem.getServerSession());
        if (fileHandle == null) {
            // The subsystem's own use: hashing for check-file, or a size change by SETSTAT, which is an upload that
            // continues the file (cut or extended, then published in one rename, with its row), as no file changes
            // in place
            if (write) {
                FileStore store = live.store();
                if (store.isPending(file) || !store.stat(file).regularFile()) {
                    throw new NoSuchFileException(clientPath(file), null, "no such file");
                }
                return transfers.upload(live, file, clientPath(file), false, false, origin);
            }
            PartnerFiles.require(live, Permission.READ, clientPath(file));
            return live.store().openRead(file);
        }
        if (write) {
            if (options.contains(StandardOpenOption.READ)) {
                // a read-write handle reads back what it wrote, and what it continues (a file it appends to)
                PartnerFiles.require(live, Permission.READ, clientPath(file));
            }
            return transfers.upload(live, file, clientPath(file), options.contains(StandardOpenOption.TRUNCATE_EXISTING),
                    options.contains(StandardOpenOption.CREATE_NEW), origin,
                    SftpSessions.carriedOver(subsystem.getServerSession()));
        }
        return transfers.download(live, file, clientPath(file), 0, origin);
    }

    /**
     * Ends the transfer once: complete when the client itself sent SSH_FXP_CLOSE (its status then says whether the
     * file was published), failed when the session ended first.
     */
    @Override
    public void closeFile(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Channel channel, Set<? extends OpenOption> options) throws IOException {
        if (!(channel instanceof Transfer transfer)) {
            if (channel != null) {
                channel.close();
            }
            return;
        }
        if (transfer.ended()) {
            return;
        }
        // the subsystem's own channel (no handle) is closed by the subsystem when its work is done
        boolean clientClosed = fileHandle == null || Boolean.TRUE.equals(fileHandle.getAttribute(CLIENT_CLOSED));
        // The session may be ending with this thread interrupted (which closes file channels): finish the
        // bookkeeping regardless, and restore the interrupt afterwards.
        boolean interrupted = Thread.interrupted();
        try {
            if (clientClosed) {
                transfer.complete();
            } else {
                // nobody is left to tell; the cause that matters is the lost connection
                transfer.fail(new TransferFailure.ClientGone("connection closed before the file was closed"));
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * {@code fsync@openssh.com}: what an upload received so far is forced to stable storage, a point a resume after a
     * crash starts from at least (the file is still published only when it is closed).
     */
    @Override
    public void syncFileData(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Channel channel) throws IOException {
        if (channel instanceof Transfer transfer) {
            transfer.sync();
        }
    }

    @Override
    public FileLock tryLock(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
            Channel channel, long position, long size, boolean shared) {
        throw new UnsupportedOperationException("byte-range locks are not supported");
    }

    @Override
    public DirectoryStream<Path> openDirectory(SftpSubsystemProxy subsystem, DirectoryHandle dirHandle, Path dir,
            String handle, LinkOption... linkOptions) throws IOException {
        PartnerFiles.requireList(live(subsystem), clientPath(dir));
        return store(subsystem).list(dir);
    }

    /**
     * Attributes as the client must see them: size and time as the storage gives them (plaintext sizes of encrypted
     * files, the resumable size of an upload), and the account as owner and group (not the server's own users).
     */
    @Override
    public NavigableMap<String, Object> resolveReportedFileAttributes(SftpSubsystemProxy subsystem, Path file,
            int flags, NavigableMap<String, Object> attrs, LinkOption... options) throws IOException {
        FileStore.Stat stat = store(subsystem).stat(file);
        if (stat.regularFile() && attrs.containsKey(IoUtils.SIZE_VIEW_ATTR)) {
            attrs.put(IoUtils.SIZE_VIEW_ATTR, stat.size());
        }
        if (attrs.containsKey(IoUtils.LASTMOD_TIME_VIEW_ATTR)) {
            attrs.put(IoUtils.LASTMOD_TIME_VIEW_ATTR, stat.lastModified());
        }
        AccountPrincipal owner = new AccountPrincipal(sessionAccount(subsystem.getServerSession()).username());
        attrs.put(IoUtils.OWNER_VIEW_ATTR, owner);
        attrs.put(IoUtils.GROUP_VIEW_ATTR, owner);
        return attrs;
    }

    /** The account shown as a file's owner and group. */
    private record AccountPrincipal(String getName) implements UserPrincipal, GroupPrincipal {
        @Override
        public String toString() {
            return getName;
        }
    }

    @Override
    public void createDirectory(SftpSubsystemProxy subsystem, Path path) throws IOException {
        PartnerFiles.mkdir(live(subsystem), path, clientPath(path));
    }

    /** Names sent to the client (REALPATH, listings): a pending upload is shown under its file's name. */
    @Override
    public void putRemoteFileName(SftpSubsystemProxy subsystem, Path path, Buffer buf, String name,
            boolean shortName) throws IOException {
        Path file = path.getFileName();
        if (file != null && name.endsWith(file.toString())
                && !FileStore.clientName(file.toString()).equals(file.toString())) {
            name = name.substring(0, name.length() - file.toString().length())
                    + FileStore.clientName(file.toString());
        }
        SftpFileSystemAccessor.super.putRemoteFileName(subsystem, path, buf, name, shortName);
    }

    @Override
    public void removeFile(SftpSubsystemProxy subsystem, Path path, boolean isDirectory) throws IOException {
        PartnerFiles.delete(live(subsystem), path, clientPath(path));
    }

    /** Replacing an existing file (posix-rename, or RENAME with overwrite) also needs the write permission. */
    @Override
    public void renameFile(SftpSubsystemProxy subsystem, Path oldPath, Path newPath, Collection<CopyOption> opts)
            throws IOException {
        PartnerFiles.rename(live(subsystem), oldPath, clientPath(oldPath), newPath, clientPath(newPath),
                opts.toArray(CopyOption[]::new));
    }

    /** Copies would bypass uploads, quotas and the transfer log. */
    @Override
    public void copyFile(SftpSubsystemProxy subsystem, Path src, Path dst, Collection<CopyOption> opts) {
        throw new UnsupportedOperationException("copy-file is not supported");
    }

    /** Links could point anywhere on the storage; partners may not create them. */
    @Override
    public void createLink(SftpSubsystemProxy subsystem, Path link, Path existing, boolean symLink)
            throws IOException {
        throw new AccessDeniedException(clientPath(link), null, "links are not allowed");
    }

    /**
     * File times need the write permission; the modification time is set through the storage. Anything else a
     * client may send with SETSTAT (access or creation time, mode, uid/gid, owner, ACL) belongs to the storage:
     * accepted and not applied.
     */
    @Override
    public void setFileAttribute(SftpSubsystemProxy subsystem, Path file, String view, String attribute, Object value,
            LinkOption... options) throws IOException {
        if (!TIME_ATTRIBUTES.contains(attribute)) {
            log.debug("Ignoring a change of {} on {}", attribute, clientPath(file));
            return;
        }
        PartnerFiles.requireTimes(live(subsystem), clientPath(file));
        if (MODIFIED.equals(attribute) && value instanceof FileTime time) {
            store(subsystem).setLastModified(file, time);
        } else {
            log.debug("Ignoring a change of {} on {}", attribute, clientPath(file));
        }
    }

    @Override
    public void setFilePermissions(SftpSubsystemProxy subsystem, Path file, Set<PosixFilePermission> perms,
            LinkOption... options) {
        log.debug("Ignoring a permission change of {}", clientPath(file));
    }

    @Override
    public void setFileOwner(SftpSubsystemProxy subsystem, Path file, Principal value, LinkOption... options) {
        log.debug("Ignoring an owner change of {}", clientPath(file));
    }

    @Override
    public void setGroupOwner(SftpSubsystemProxy subsystem, Path file, Principal value, LinkOption... options) {
        log.debug("Ignoring a group change of {}", clientPath(file));
    }

    @Override
    public void setFileAccessControl(SftpSubsystemProxy subsystem, Path file, List<AclEntry> acl,
            LinkOption... options) {
        log.debug("Ignoring an ACL change of {}", clientPath(file));
    }

    /** The path as the client named it: a pending upload's stored name maps back to the file's. */
    private static String clientPath(Path path) {
        String virtual = path.toAbsolutePath().normalize().toString();
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        return virtual.substring(0, virtual.length() - name.length()) + FileStore.clientName(name);
    }

    /** The session's account as it is now; a disabled account ends the session here. */
    private LiveAccount live(SftpSubsystemProxy subsystem) throws IOException {
        account(subsystem);
        return sessionAccount(subsystem.getServerSession()).live();
    }

    private Account account(SftpSubsystemProxy subsystem) throws IOException {
        ServerSession session = subsystem.getServerSession();
        return sessionAccount(session).current(session);
    }

    private static FileStore store(SftpSubsystemProxy subsystem) throws AccessDeniedException {
        return sessionAccount(subsystem.getServerSession()).store();
    }

    private static SessionAccount sessionAccount(ServerSession session) throws AccessDeniedException {
        SessionAccount account = session.getAttribute(SftpSessions.ACCOUNT);
        if (account == null) {
            throw new AccessDeniedException("/", null, "not authenticated");
        }
        return account;
    }
}
