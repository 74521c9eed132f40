package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.GenericUtils;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.BufferUtils;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.io.IoUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.extensions.openssh.AbstractOpenSSHExtensionParser.OpenSSHExtension;
import org.apache.sshd.sftp.common.extensions.openssh.LimitsExtensionParser;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.Handle;
import org.apache.sshd.sftp.server.InvalidHandleException;
import org.apache.sshd.sftp.server.SftpSubsystem;
import org.apache.sshd.sftp.server.SftpSubsystemConfigurator;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

import io.ferry.common.ssh.ChannelWriter;
import io.ferry.storage.FileStore;
import io.ferry.storage.Upload;
import io.ferry.transfer.session.Transfer;

/**
 * MINA's SFTP subsystem, where an upload's handle must describe the upload and not the file it will become (the
 * upload is not visible under its name until it completes, but its own handle is a file to its owner, as OpenSSH's
 * is): {@code FSTAT} answers the upload's size so far, {@code FSETSTAT} keeps the times for the published file, and
 * {@code RMDIR} of a directory that does not exist answers "no such file" as OpenSSH does. It also answers OpenSSH's
 * {@code statvfs@openssh.com} and {@code fstatvfs@openssh.com} (sftp's {@code df}) with the account's quota as its
 * file system, not the storage's, and offers {@code limits@openssh.com} and {@code copy-data} (sftp's {@code cp}).
 * Its replies go out packed into the channel's SSH packets, as OpenSSH's do ({@link ChannelWriter}).
 */
final class FerrySftpSubsystem extends SftpSubsystem {

    FerrySftpSubsystem(ChannelSession channel, SftpSubsystemConfigurator configurator) {
        super(channel, configurator);
    }

    /** The factory of {@link FerrySftpSubsystem}s, with the listeners registered on it. */
    static final class Factory extends SftpSubsystemFactory {

        @Override
        public Command createSubsystem(ChannelSession channel) throws IOException {
            FerrySftpSubsystem subsystem = new FerrySftpSubsystem(channel, this);
            GenericUtils.forEach(getRegisteredListeners(), subsystem::addSftpEventListener);
            return subsystem;
        }
    }

    private static final String STATVFS = "statvfs@openssh.com";
    private static final String EXPAND_PATH = "expand-path@openssh.com";
    private static final String HOME_DIRECTORY = "home-directory";
    private static final String FSTATVFS = "fstatvfs@openssh.com";
    /**
     * An edge's question, on a session it carries over from a node that died: whether there is an upload of a path
     * an open would continue, and about how much it holds ({@link FileStore#pendingSize}: the open checks its last
     * segments and may keep less), answered as an extended reply with the size (uint64), or "no such file" when there
     * is none. Only edges' file sessions may ask.
     */
    static final String PENDING_UPLOAD = "pending-upload@ferry.io";
    /** A block as {@code statvfs} reports the space: what sftp's {@code df} multiplies by. */
    private static final long BLOCK = 4096;
    private static final long ST_NOSUID = 2;
    private static final Runnable NOTHING = () -> { };

    /** The subsystem's replies, packed into the channel's packets. */
    private ChannelWriter replies;
    /** How many reply bytes may wait for the client to take them before the subsystem waits, and how long it waits. */
    private int maxPending;
    private Duration maxWait;

    @Override
    public void setIoOutputStream(IoOutputStream stream) {
        ChannelSession channel = getServerChannelSession();
        // a failed write fails every later reply (send throws), which ends the subsystem
        replies = new ChannelWriter(channel, stream, () -> { });
        maxPending = CoreModuleProperties.BUFFERED_IO_OUTPUT_MAX_PENDING_WRITE_SIZE.getRequired(channel);
        maxWait = CoreModuleProperties.BUFFERED_IO_OUTPUT_MAX_PENDING_WRITE_WAIT.getRequired(channel);
        // MINA's out stays unset: only send wrote to it, and the channel's stream takes one writer
    }

    /**
     * Sends a reply through {@link ChannelWriter}, packed into the channel's packets with the replies before and after
     * it, instead of MINA's send (each reply in packets of its own). As MINA's does, it waits while the client has not
     * taken the replies before it (past {@code maxPending} bytes, at most {@code maxWait}).
     */
    @Override
    protected void send(Buffer reply) throws IOException {
        BufferUtils.updateLengthPlaceholder(reply, 0);
        replies.awaitBelow(maxPending, maxWait);
        replies.write(reply, NOTHING);
    }

    /**
     * The subsystem is ending: its handles close (uploads end and are logged) on a thread that is not interrupted,
     * whatever ended it (a file channel closes on an interrupted thread's I/O), and its last replies go before the
     * channel's exit (unless it was interrupted: then it is being stopped).
     */
    @Override
    protected void closeAllHandles() {
        boolean interrupted = Thread.interrupted();
        try {
            super.closeAllHandles();
            if (!interrupted) {
                replies.awaitWritten(maxWait);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    protected List<OpenSSHExtension> resolveOpenSSHExtensions(ServerSession session) {
        List<OpenSSHExtension> extensions = new ArrayList<>(super.resolveOpenSSHExtensions(session));
        extensions.add(new OpenSSHExtension(STATVFS, "2"));
        extensions.add(new OpenSSHExtension(FSTATVFS, "2"));
        // MINA answers these, but does not offer them to OpenSSH's sftp: it sizes its requests and handles by the
        // limits, and its cp is copy-data (a read on one handle and a write on the other, so the copy is a download
        // and an upload: the permissions, the quota and the transfer log see it as they see those)
        extensions.add(new OpenSSHExtension(LimitsExtensionParser.NAME, "1"));
        extensions.add(new OpenSSHExtension(SftpConstants.EXT_COPY_DATA, "1"));
        // the jail's home is "/": sftp's "cd ~" and "~/file" work as on OpenSSH
        extensions.add(new OpenSSHExtension(EXPAND_PATH, "1"));
        extensions.add(new OpenSSHExtension(HOME_DIRECTORY, "1"));
        return extensions;
    }

    /** An extended reply to request {@code id}, its fields to be added. */
    private Buffer extendedReply(Buffer buffer, int id) {
        Buffer reply = prepareReply(buffer);
        reply.putByte((byte) SftpConstants.SSH_FXP_EXTENDED_REPLY);
        reply.putInt(id);
        return reply;
    }

    @Override
    protected void doExtended(Buffer buffer, int id) throws IOException {
        int start = buffer.rpos();
        String extension = buffer.getString();
        if (EXPAND_PATH.equals(extension) || HOME_DIRECTORY.equals(extension)) {
            String argument = buffer.getString();
            String path;
            try {
                path = EXPAND_PATH.equals(extension) ? expandTilde(argument) : homeOf(argument);
            } catch (IOException e) {
                sendStatus(prepareReply(buffer), id, e, SftpConstants.SSH_FXP_EXTENDED, extension);
                return;
            }
            // answered as REALPATH answers the expanded path (the same jail, names and checks)
            Buffer realPath = new ByteArrayBuffer(path.length() * 4 + Integer.BYTES + 64, false);
            realPath.putString(path);
            doRealPath(realPath, id);
            return;
        }
        if (PENDING_UPLOAD.equals(extension) && SftpSessions.edge(getServerSession()) != null) {
            String target = buffer.getString();
            OptionalLong size;
            try {
                size = store().pendingSize(resolveFile(target));
                if (size.isEmpty()) {
                    throw new NoSuchFileException(target, null, "no upload of this file in progress");
                }
            } catch (IOException | RuntimeException e) {
                sendStatus(prepareReply(buffer), id, e, SftpConstants.SSH_FXP_EXTENDED, extension);
                return;
            }
            Buffer reply = extendedReply(buffer, id);
            reply.putLong(size.getAsLong());
            send(reply);
            return;
        }
        if (!STATVFS.equals(extension) && !FSTATVFS.equals(extension)) {
            buffer.rpos(start);
            super.doExtended(buffer, id);
            return;
        }
        String target = buffer.getString();
        FileStore.Space space;
        try {
            if (STATVFS.equals(extension)) {
                resolveFile(target); // the path must be the account's (the jail, reserved names)
            } else if (handles.get(target) == null) {
                throw new InvalidHandleException(target, null, null);
            }
            space = store().space();
        } catch (IOException | RuntimeException e) {
            sendStatus(prepareReply(buffer), id, e, SftpConstants.SSH_FXP_EXTENDED, extension);
            return;
        }
        Buffer reply = extendedReply(buffer, id);
        reply.putLong(BLOCK); // f_bsize
        reply.putLong(BLOCK); // f_frsize
        reply.putLong(space.totalBytes() / BLOCK); // f_blocks
        reply.putLong(space.freeBytes() / BLOCK); // f_bfree
        reply.putLong(space.freeBytes() / BLOCK); // f_bavail
        reply.putLong(space.totalFiles()); // f_files
        reply.putLong(space.freeFiles()); // f_ffree
        reply.putLong(space.freeFiles()); // f_favail
        reply.putLong(0); // f_fsid
        reply.putLong(ST_NOSUID); // f_flag
        reply.putLong(255); // f_namemax
        send(reply);
    }

    @Override
    protected Map<String, Object> doFStat(int id, String handle, int flags) throws IOException {
        Upload upload = upload(handle);
        if (upload == null) {
            return super.doFStat(id, handle, flags);
        }
        FileHandle file = (FileHandle) handles.get(handle);
        // the pending upload on the storage (the name resolves to it while the file is not published) with the
        // size and time the handle's owner has made it; a handle that continues a pending upload holds its path
        // already (resolved again, a reserved name, it was refused)
        Path pending = store().isPending(file.getFile()) ? file.getFile() : store().resolve(file.getFile());
        NavigableMap<String, Object> attributes = resolveFileAttributes(pending, flags, true);
        attributes.put(IoUtils.SIZE_VIEW_ATTR, file.getFileChannel().size());
        FileTime time = upload.requestedLastModified();
        if (time != null) {
            attributes.put(IoUtils.LASTMOD_TIME_VIEW_ATTR, time);
        }
        return attributes;
    }

    @Override
    protected void doFSetStat(int id, String handle, Map<String, ?> attrs) throws IOException {
        Transfer transfer = uploadTransfer(handle);
        if (transfer == null) {
            super.doFSetStat(id, handle, attrs);
            return;
        }
        // the handle is open for writing: its size (ftruncate) and times are the writer's to set; the rest belongs
        // to the storage
        if (attrs.get(IoUtils.SIZE_VIEW_ATTR) instanceof Number size) {
            transfer.truncate(size.longValue());
        }
        if (attrs.get(IoUtils.LASTMOD_TIME_VIEW_ATTR) instanceof FileTime time) {
            ((Upload) transfer.content()).setLastModified(time);
        }
    }

    /** An upload's handle reads back only when it was opened for reading too (OpenSSH's write-only fd: EBADF). */
    @Override
    protected int doRead(int id, String handle, long offset, int length, byte[] data, int doff,
            AtomicReference<Boolean> eof) throws IOException {
        if (uploadTransfer(handle) != null
                && !((FileHandle) handles.get(handle)).getOpenOptions().contains(StandardOpenOption.READ)) {
            throw new IOException("the handle is not open for reading");
        }
        return super.doRead(id, handle, offset, length, data, doff, eof);
    }

    /** SETSTAT of a name that does not exist answers "no such file" (attributes other than times are not applied). */
    @Override
    protected void doSetStat(int id, String path, int cmd, String extension, Map<String, ?> attrs,
            Boolean followLinks) throws IOException {
        if (!Files.exists(resolveFile(path), LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(path, null, "no such file");
        }
        super.doSetStat(id, path, cmd, extension, attrs, followLinks);
    }

    @Override
    protected void doRemoveDirectory(int id, String path) throws IOException {
        Path directory = resolveFile(path);
        if (!Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(path, null, "no such directory");
        }
        super.doRemoveDirectory(id, path);
    }

    /** The upload behind {@code handle}, or null when it is not an upload's handle. */
    private Upload upload(String handle) {
        Transfer transfer = uploadTransfer(handle);
        return transfer == null ? null : (Upload) transfer.content();
    }

    private Transfer uploadTransfer(String handle) {
        Handle h = handles.get(handle);
        return h instanceof FileHandle file && file.getFileChannel() instanceof Transfer transfer
                && transfer.content() instanceof Upload ? transfer : null;
    }

    /** {@code ~} and {@code ~/...} (and {@code ~user} for the session's own user) start at the home, "/". */
    private String expandTilde(String path) throws IOException {
        if (!path.startsWith("~")) {
            return path;
        }
        int slash = path.indexOf('/');
        String user = path.substring(1, slash < 0 ? path.length() : slash);
        String rest = slash < 0 ? "" : path.substring(slash + 1);
        return homeOf(user.isEmpty() ? account().username() : user) + rest;
    }

    /** The home of the session's own user; other users' homes are not this session's to know. */
    private String homeOf(String user) throws IOException {
        if (!account().username().equals(user)) {
            throw new NoSuchFileException("~" + user, null, "no such user");
        }
        return "/";
    }

    private FileStore store() throws AccessDeniedException {
        return account().store();
    }

    private SessionAccount account() throws AccessDeniedException {
        SessionAccount account = getServerSession().getAttribute(SftpSessions.ACCOUNT);
        if (account == null) {
            throw new AccessDeniedException("/", null, "not authenticated");
        }
        return account;
    }
}
