package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The {@link FileStore} over a directory of the shared storage (a NAS mount, or a local directory), with files plain
 * or encrypted ({@link EncryptedFormat}) as configured. Existing files are read in whatever format they were written
 * in, so turning encryption on keeps older plain files readable.
 */
final class NasFileStore implements FileStore {

    private final Jail jail;
    /** Keys to read and, when {@link #encrypt}, write encrypted files; null when no keys are configured. */
    private final StorageKeys keys;
    private final boolean encrypt;
    private final Quota quota;
    private final UsageTracker usage;
    private final StorageHealth health;

    NasFileStore(Jail jail, StorageKeys keys, boolean encrypt, Quota quota, UsageTracker usage, StorageHealth health) {
        this.jail = jail;
        this.keys = keys;
        this.encrypt = encrypt;
        this.quota = quota;
        this.usage = usage;
        this.health = health;
    }

    @Override
    public FileSystem openFileSystem() throws IOException {
        return jail.openFileSystem();
    }

    @Override
    public Path resolve(Path requested) throws IOException {
        // Work on the normalised path and hand it back: a '..' left for the OS to resolve after a link could leave
        // the home even though the lexical form stays inside it.
        Path path = requested.toAbsolutePath().normalize();
        for (Path name : path) {
            if (PendingUploads.isReserved(name.toString())) {
                throw new AccessDeniedException(path.toString(), null, "names starting with "
                        + PendingUploads.RESERVED_PREFIX + " are reserved");
            }
        }
        Path local = jail.checkInside(path);
        Path name = path.getFileName();
        if (name != null && !Files.exists(local, LinkOption.NOFOLLOW_LINKS)) {
            String part = PendingUploads.partName(name.toString());
            if (Files.isRegularFile(local.resolveSibling(part), LinkOption.NOFOLLOW_LINKS)) {
                return path.resolveSibling(part);
            }
        }
        return path;
    }

    @Override
    public boolean isListed(Path entry) {
        Path name = entry.getFileName();
        return name == null || !PendingUploads.isReserved(name.toString());
    }

    @Override
    public long size(Path path) throws IOException {
        Path local = jail.toLocal(path);
        if (!Files.isRegularFile(local)) {
            return Files.size(local);
        }
        try (FileChannel channel = FileChannel.open(local, StandardOpenOption.READ)) {
            boolean encrypted = keys != null && EncryptedFormat.isEncrypted(channel);
            if (PendingUploads.isPart(local.getFileName().toString())) {
                return encrypted ? EncryptedWriter.resumableSize(channel, keys) : channel.size();
            }
            if (!encrypted) {
                return channel.size();
            }
            return EncryptedFormat.plaintextSize(EncryptedFormat.readHeader(channel, keys), channel.size());
        }
    }

    @Override
    public SeekableByteChannel openRead(Path path) throws IOException {
        Path local = jail.toLocal(path);
        if (PendingUploads.isPart(local.getFileName().toString())) {
            throw new NoSuchFileException(path.toString(), null, "the upload of this file is not complete");
        }
        FileChannel channel = FileChannel.open(local, StandardOpenOption.READ);
        try {
            if (keys != null && EncryptedFormat.isEncrypted(channel)) {
                return new EncryptedReadChannel(channel, keys);
            }
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public Upload openUpload(Path path, boolean truncate, boolean exclusive) throws IOException {
        health.check();
        Path local = jail.toLocal(path);
        String name = local.getFileName().toString();
        Path target = PendingUploads.isPart(name) ? local.resolveSibling(PendingUploads.targetName(name)) : local;
        Path part = target.resolveSibling(PendingUploads.partName(target.getFileName().toString()));
        boolean targetExists = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (targetExists && Files.isDirectory(target)) {
            throw new FileAlreadyExistsException(path.toString(), null, "is a directory");
        }
        if (exclusive && targetExists) {
            throw new FileAlreadyExistsException(path.toString());
        }
        if (!Files.isDirectory(target.getParent())) {
            throw new NoSuchFileException(path.getParent() == null ? "/" : path.getParent().toString(), null,
                    "no such directory");
        }
        UsageTracker.Usage used = quota.unlimited() ? null : usage.usage(jail.home());
        if (used != null && !targetExists && quota.maxFiles() > 0 && used.files() >= quota.maxFiles()) {
            throw new QuotaExceededException("file quota exceeded: the account may keep " + quota.maxFiles()
                    + " files");
        }
        long partBefore = Files.exists(part) ? Files.size(part) : 0;
        long targetBefore = targetExists ? Files.size(target) : 0;
        if (!truncate && partBefore == 0 && targetExists) {
            // appending to a finished file: continue a copy, so the file stays whole until the append completes
            Files.copy(target, part, StandardCopyOption.REPLACE_EXISTING);
        }
        FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ContentWriter writer;
            if (truncate || channel.size() == 0) {
                channel.truncate(0);
                writer = encrypt ? EncryptedWriter.create(channel, keys) : new PlainWriter(channel);
            } else if (keys != null && EncryptedFormat.isEncrypted(channel)) {
                writer = EncryptedWriter.resume(channel, keys);
            } else {
                writer = new PlainWriter(channel);
            }
            long allowance = used == null || quota.maxBytes() == 0 ? Long.MAX_VALUE
                    : quota.maxBytes() - (used.bytes() - partBefore - targetBefore);
            return new NasUpload(this, target, part, channel, writer, allowance, targetExists, targetBefore,
                    partBefore);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void delete(Path path) throws IOException {
        Path local = jail.toLocal(path);
        if (Files.isDirectory(local, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(local)) {
                for (Path child : children) {
                    if (isListed(child)) {
                        throw new DirectoryNotEmptyException(path.toString());
                    }
                }
            }
            try (DirectoryStream<Path> hidden = Files.newDirectoryStream(local)) {
                for (Path child : hidden) {
                    delete(path.resolve(child.getFileName().toString()));
                }
            }
            Files.delete(local);
            return;
        }
        long size = Files.size(local);
        Files.delete(local);
        usage.changed(jail.home(), -size, PendingUploads.isPart(local.getFileName().toString()) ? 0 : -1);
    }

    @Override
    public void rename(Path from, Path to, CopyOption... options) throws IOException {
        Path source = jail.toLocal(from);
        if (PendingUploads.isPart(source.getFileName().toString())) {
            throw new AccessDeniedException(from.toString(), null, "the upload of this file is not complete");
        }
        Files.move(source, jail.toLocal(to), options);
    }

    @Override
    public Quota quota() {
        return quota;
    }

    @Override
    public UsageTracker.Usage usage() throws IOException {
        return usage.usage(jail.home());
    }

    /** Called by a completed upload: the account now holds {@code bytes} more and maybe one more file. */
    void published(long bytes, boolean newFile) {
        usage.changed(jail.home(), bytes, newFile ? 1 : 0);
    }

    void removed(long bytes) {
        usage.changed(jail.home(), -bytes, 0);
    }
}
