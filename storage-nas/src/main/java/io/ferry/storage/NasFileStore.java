package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link FileStore} over a directory of the shared storage (a NAS mount, or a local directory). How the bytes of
 * a file are kept, plain or encrypted at rest, is its {@link ContentFormat}'s business, not this class's.
 */
final class NasFileStore implements FileStore {

    private final Jail jail;
    private final ContentFormat format;
    private final Quota quota;
    private final UsageTracker usage;
    private final StorageHealth health;

    NasFileStore(Jail jail, ContentFormat format, Quota quota, UsageTracker usage, StorageHealth health) {
        this.jail = jail;
        this.format = format;
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
    public DirectoryStream<Path> list(Path dir) throws IOException {
        jail.checkInside(dir.toAbsolutePath().normalize());
        return Files.newDirectoryStream(dir, NasFileStore::isListed);
    }

    @Override
    public boolean isPending(Path path) {
        Path name = path.getFileName();
        return name != null && PendingUploads.isPart(name.toString());
    }

    private static boolean isListed(Path entry) {
        Path name = entry.getFileName();
        return name == null || !PendingUploads.isReserved(name.toString());
    }

    @Override
    public OptionalLong pendingSize(Path path) throws IOException {
        Path target = targetOf(jail.toLocal(path));
        Path part = target.resolveSibling(PendingUploads.partName(target.getFileName().toString()));
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(part, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        if (!attributes.isRegularFile()) {
            return OptionalLong.empty();
        }
        ReentrantLock name = HeldParts.name(part);
        name.lock();
        try {
            HeldParts.Held held = HeldParts.held(part);
            if (held != null) {
                return OptionalLong.of(held.size(part)); // an upload in this process writes it: not opened
            }
            try (FileChannel channel = FileChannel.open(part, StandardOpenOption.READ)) {
                return pendingSize(channel);
            }
        } finally {
            name.unlock();
        }
    }

    private OptionalLong pendingSize(FileChannel channel) throws IOException {
        // a part the next open would start over (another format or key) is no upload to resume; the size is the
        // stored one, unchecked: the open checks the last segments, as a resume does, and may keep less
        return format.resumable(channel) ? OptionalLong.of(format.heldSize(channel)) : OptionalLong.empty();
    }

    @Override
    public long size(Path path) throws IOException {
        Path local = jail.toLocal(path);
        return size(local, Files.readAttributes(local, BasicFileAttributes.class));
    }

    private long size(Path local, BasicFileAttributes attributes) throws IOException {
        boolean part = PendingUploads.isPart(local.getFileName().toString());
        if (!attributes.isRegularFile() || (!format.sizesDiffer() && !part)) {
            // the stored size is the plaintext size: no open on each listed entry
            return attributes.size();
        }
        if (part) {
            return partSize(local);
        }
        try (FileChannel channel = FileChannel.open(local, StandardOpenOption.READ)) {
            return format.plaintextSize(channel);
        }
    }

    /** What a pending upload can be resumed from, as a client sees it; not opened while this process writes it. */
    private long partSize(Path local) throws IOException {
        ReentrantLock name = HeldParts.name(local);
        name.lock();
        try {
            HeldParts.Held held = HeldParts.held(local);
            if (held != null) {
                return held.size(local); // an upload in this process writes it: not opened
            }
            try (FileChannel channel = FileChannel.open(local, StandardOpenOption.READ)) {
                // written in another format or under a retired key: the upload starts over
                // a marked part is checked whole only when no upload holds it (a crash left it), as its resume
                // will: the writer of one in progress has not torn it, and a client's stats cost no full decrypt
                return format.resumable(channel) ? format.resumableSize(channel,
                        PendingUploads.isRewritten(local) && !PendingUploads.inProgress(channel)) : 0;
            }
        } finally {
            name.unlock();
        }
    }

    @Override
    public Stat stat(Path path) throws IOException {
        Path local = jail.toLocal(path);
        BasicFileAttributes attributes = Files.readAttributes(local, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        long size;
        try {
            size = size(local, attributes);
        } catch (IOException e) {
            // a file whose plaintext size cannot be read (under a key this node lacks, cut short) still exists
            // and is listed with its stored size; reading it says why it cannot be read
            size = attributes.size();
        }
        return new Stat(attributes.isDirectory(), attributes.isRegularFile(), size, attributes.lastModifiedTime());
    }

    @Override
    public void setLastModified(Path path, FileTime time) throws IOException {
        Path local = jail.toLocal(path);
        FileTime now = FileTime.from(Instant.now());
        // abandoned uploads are swept by age: a time in the future would keep one for good
        FileTime set = PendingUploads.isPart(local.getFileName().toString()) && time.compareTo(now) > 0 ? now : time;
        try {
            unlessHeld(local, () -> Files.setLastModifiedTime(local, set));
        } catch (StorageException e) {
            throw e;
        } catch (IOException e) {
            throw faulted(StorageFaults.translate(e, local));
        }
    }

    /**
     * Removes {@code local}: a file, or a pending file no upload holds, which is locked first (an upload on another
     * node holding it is told about as "in progress"). Called under the name's mutex with no upload here holding it
     * ({@link #unlessHeld}), so opening it drops no lock of this process.
     */
    private static void removePart(Path local) throws IOException {
        String fileName = local.getFileName().toString();
        if (!PendingUploads.isPart(fileName)) {
            Files.deleteIfExists(local);
            return;
        }
        try (FileChannel channel = FileChannel.open(local, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            if (tryLock(channel) == null) {
                throw new StorageException("an upload of " + PendingUploads.targetName(fileName) + " is in progress");
            }
            Files.deleteIfExists(local); // while locked
        } catch (NoSuchFileException gone) {
            // removed meanwhile
        }
    }

    /** An operation on a name. */
    @FunctionalInterface
    private interface NameAction {
        void run() throws IOException;
    }

    /**
     * Runs {@code action} on a name that may be a pending upload's under the name's mutex, refused while an upload
     * in this process holds that pending file: changing it by name (its time, removing it, taking its name) would
     * open and close it under its upload, or pull its name away ({@link HeldParts}).
     */
    private static void unlessHeld(Path local, NameAction action) throws IOException {
        String fileName = local.getFileName().toString();
        if (!PendingUploads.isPart(fileName)) {
            action.run();
            return;
        }
        ReentrantLock name = HeldParts.name(local);
        name.lock();
        try {
            if (HeldParts.held(local) != null) {
                throw new StorageException("an upload of " + PendingUploads.targetName(fileName)
                        + " is in progress");
            }
            action.run();
        } finally {
            name.unlock();
        }
    }

    @Override
    public StoredContent openRead(Path path) throws IOException {
        Path local = jail.toLocal(path);
        if (PendingUploads.isPart(local.getFileName().toString())) {
            throw new NoSuchFileException(path.toString(), null, "the upload of this file is not complete");
        }
        BasicFileAttributes before = Files.readAttributes(local, BasicFileAttributes.class);
        String recorded = before.isRegularFile() ? ContentDigest.read(local, before) : null;
        SeekableByteChannel reader = reader(local);
        if (recorded != null && !stillTheSame(local, before)) {
            recorded = null; // another file took the name meanwhile: the checksum is not the opened file's
        }
        return new ReadContent(reader, recorded);
    }

    /** Whether the file at {@code local} is still the one {@code before} describes (renamed away: no). */
    private static boolean stillTheSame(Path local, BasicFileAttributes before) {
        try {
            BasicFileAttributes after = Files.readAttributes(local, BasicFileAttributes.class);
            return Objects.equals(before.fileKey(), after.fileKey()) && before.size() == after.size()
                    && before.lastModifiedTime().equals(after.lastModifiedTime());
        } catch (IOException e) {
            return false;
        }
    }

    private SeekableByteChannel reader(Path local) throws IOException {
        FileChannel channel = FileChannel.open(local, StandardOpenOption.READ);
        try {
            return format.reader(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public Upload openUpload(Path path, boolean truncate, boolean exclusive) throws IOException {
        health.check();
        Path local = jail.toLocal(path);
        Path target = targetOf(local);
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
        // usage is only tracked for limits the account has: no scan of a big home without a quota
        boolean countsFile = !targetExists && quota.maxFiles() > 0;
        if (countsFile && !usage.tryAddFile(jail.home(), quota.maxFiles())) {
            throw new QuotaExceededException("file quota exceeded: the account may keep " + quota.maxFiles()
                    + " files");
        }
        FileChannel channel = null;
        HeldParts.Held held = null;
        try {
            LockedPart locked = openPart(part, path);
            channel = locked.channel();
            held = locked.held();
            boolean fresh = locked.fresh();
            FileLock lock = locked.lock();
            long partBefore = channel.size();
            ContentWriter writer;
            long counted = 0;
            if (truncate || partBefore == 0 || !format.resumable(channel)) {
                if (!fresh) {
                    channel.truncate(0);
                    PendingUploads.clearRewritten(part);
                    lock = relock(channel, lock);
                    released(partBefore, false);
                }
                writer = format.create(channel);
                if (!truncate && targetExists) {
                    // appending to a finished file: continue a copy (in today's format and key), so the file
                    // stays whole until the append completes
                    counted = copy(target, writer);
                    released(-counted, false);
                }
            } else {
                boolean rewritten = PendingUploads.isRewritten(part);
                lock = relock(channel, lock);
                writer = format.resume(channel, rewritten);
                counted = partBefore;
            }
            long credit = targetExists ? Files.size(target) : 0; // freed when the upload replaces the file
            held.writer(writer);
            return new NasUpload(this, target, part, channel, lock, held, writer, countsFile, credit, counted,
                    fresh);
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                try {
                    channel.close();
                } finally {
                    HeldParts.let(part, held);
                }
            }
            if (countsFile) {
                usage.changed(jail.home(), 0, -1);
            }
            if (e instanceof IOException io) {
                throw faulted(StorageFaults.translate(io, part));
            }
            throw e;
        }
    }

    private static final Object GONE = new Object();
    private static final Logger log = LoggerFactory.getLogger(NasFileStore.class);

    /** A pending file, open, locked and registered ({@link HeldParts}); {@code fresh}: this upload created it. */
    private record LockedPart(FileChannel channel, FileLock lock, boolean fresh, HeldParts.Held held) {
    }

    /**
     * Opens and locks the pending file of {@code path}: a new one this upload creates, or the one an earlier upload
     * left. A pending file is published (renamed) or removed only by the holder of its lock, so one opened by name
     * may have become the published file, or gone, before its lock was taken: it is used only while its name still
     * names it once locked, and otherwise looked for again (a few times, then the upload is told another is in
     * progress). A new one is locked before it gets the pending name ({@link #createPart}), so no other upload can
     * find it by name unlocked.
     */
    private static LockedPart openPart(Path part, Path path) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            LockedPart created = createPart(part, path);
            if (created != null) {
                return created;
            }
            // an earlier upload's pending file: resumed or replaced
            ReentrantLock name = HeldParts.name(part);
            name.lock();
            try {
                if (HeldParts.held(part) != null) {
                    break; // an upload in this process holds it: not opened (closing would drop its lock)
                }
                FileChannel channel;
                Object before;
                try {
                    before = fileKey(part);
                    channel = FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue; // published or removed meanwhile: a new one
                }
                boolean kept = false;
                try {
                    FileLock lock = lock(channel, path);
                    Object after;
                    try {
                        after = fileKey(part);
                    } catch (NoSuchFileException gone) {
                        after = GONE;
                    }
                    // a file system without file keys cannot tell: the name is then trusted as before
                    if (before == null ? after != GONE : before.equals(after)) {
                        kept = true;
                        return new LockedPart(channel, lock, false, HeldParts.hold(part));
                    }
                    lock.release(); // the name names another file now (or none): this one is not ours to write
                } finally {
                    if (!kept) {
                        channel.close();
                    }
                }
            } finally {
                name.unlock();
            }
        }
        throw new StorageException("an upload of " + path + " is already in progress");
    }

    /**
     * A new pending file, locked: created under a name of its own, locked, then given the pending name with a hard
     * link, which is refused when that name is taken (null then). Created under the pending name itself, it would
     * be there unlocked for a moment, and another upload of the name could lock it, write it, publish it and let
     * go before this one locks it: this upload would then write into the published file. A file system without
     * hard links (a CIFS share without Unix extensions) gets that older way, and its moment.
     */
    private static LockedPart createPart(Path part, Path path) throws IOException {
        Path fresh = part.resolveSibling(PendingUploads.NEW_PREFIX + Long.toHexString(
                ThreadLocalRandom.current().nextLong()));
        FileChannel channel = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        boolean kept = false;
        try {
            FileLock lock = lock(channel, path); // no other upload knows this name: never refused
            ReentrantLock name = HeldParts.name(part);
            name.lock();
            try {
                Files.createLink(part, fresh);
                kept = true;
                return new LockedPart(channel, lock, true, HeldParts.hold(part));
            } catch (FileAlreadyExistsException taken) {
                return null;
            } catch (UnsupportedOperationException | FileSystemException e) {
                if (e instanceof FileSystemException fse && !noHardLinks(fse)) {
                    throw fse;
                }
                if (!linksMissingLogged) {
                    linksMissingLogged = true;
                    log.warn("The storage has no hard links ({}): a new pending file is created under its name, "
                            + "then locked", e.getMessage());
                }
                return createPartUnlinked(part, path);
            } finally {
                name.unlock();
            }
        } finally {
            if (!kept) {
                channel.close();
            }
            try {
                Files.deleteIfExists(fresh);
            } catch (IOException e) {
                // the pending file is linked and locked: the leftover name is swept by age
                log.warn("Cannot remove {}: {}", fresh.getFileName(), e.getMessage());
            }
        }
    }

    private static volatile boolean linksMissingLogged;

    /** Whether link(2) failed because the file system has no hard links (not for want of room, nor an I/O error). */
    private static boolean noHardLinks(FileSystemException e) {
        // EOPNOTSUPP, EPERM, ENOSYS; and EROFS, which FUSE file systems answer for what they do not implement (a
        // file system that is read-only indeed fails the create that follows in the same words)
        String reason = String.valueOf(e.getReason()).toLowerCase(Locale.ROOT);
        return reason.contains("not supported") || reason.contains("not permitted")
                || reason.contains("not implemented") || reason.contains("read-only");
    }

    /** A new pending file created under its name, then locked (under the name's mutex); null when it is taken. */
    private static LockedPart createPartUnlinked(Path part, Path path) throws IOException {
        FileChannel created;
        try {
            created = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (FileAlreadyExistsException taken) {
            return null;
        }
        try {
            FileLock lock = lock(created, path);
            return new LockedPart(created, lock, true, HeldParts.hold(part));
        } catch (IOException | RuntimeException e) {
            created.close();
            throw e;
        }
    }

    private static Object fileKey(Path part) throws IOException {
        return Files.readAttributes(part, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /**
     * The lock on a pending file taken again after something opened and closed the file by its name (the JDK does,
     * to set its time or its attributes), which drops this process's POSIX lock on it ({@link HeldParts}). Refused
     * when another node took the file in that moment.
     */
    static FileLock relock(FileChannel channel, FileLock lock) throws IOException {
        if (lock.isValid()) {
            lock.release();
        }
        FileLock again = tryLock(channel);
        if (again == null) {
            throw new StorageException("another upload of this file took it over");
        }
        return again;
    }

    /** One upload per file at a time, across sessions and nodes (POSIX locks hold on NFSv4). */
    private static FileLock lock(FileChannel channel, Path path) throws IOException {
        FileLock lock = tryLock(channel);
        if (lock == null) {
            throw new StorageException("an upload of " + path + " is already in progress");
        }
        return lock;
    }

    /** The file's lock, or null when an upload holds it (in this process or another). */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private long copy(Path source, ContentWriter writer) throws IOException {
        try (SeekableByteChannel in = reader(source)) {
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            long total = 0;
            int n;
            while ((n = in.read(buffer.clear())) > 0) {
                buffer.flip();
                writer.write(buffer);
                total += n;
            }
            return total;
        }
    }

    private static Path targetOf(Path local) {
        String name = local.getFileName().toString();
        return PendingUploads.isPart(name) ? local.resolveSibling(PendingUploads.targetName(name)) : local;
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
        unlessHeld(local, () -> removePart(local));
        usage.changed(jail.home(), -size, PendingUploads.isPart(local.getFileName().toString()) ? 0 : -1);
    }

    @Override
    public void rename(Path from, Path to, CopyOption... options) throws IOException {
        Path source = jail.toLocal(from);
        if (PendingUploads.isPart(source.getFileName().toString())) {
            throw new AccessDeniedException(from.toString(), null, "the upload of this file is not complete");
        }
        try {
            Files.move(source, claim(jail.toLocal(to)), options);
        } catch (IOException e) {
            throw faulted(StorageFaults.translate(e, source));
        }
    }

    @Override
    public void createDirectory(Path path) throws IOException {
        Path local = jail.toLocal(path);
        try {
            Files.createDirectory(claim(local));
        } catch (IOException e) {
            throw faulted(StorageFaults.translate(e, local));
        }
    }

    /**
     * The real name for something new at a path that may name a pending upload (resolve maps a missing file to
     * its upload): the upload is dropped, since what now takes the name replaces it.
     */
    private Path claim(Path local) throws IOException {
        if (!PendingUploads.isPart(local.getFileName().toString())) {
            return local;
        }
        long size = Files.size(local);
        unlessHeld(local, () -> removePart(local));
        usage.changed(jail.home(), -size, 0);
        return targetOf(local);
    }

    /** A fault of the storage itself (full, read-only) has the health probe look again now, for readiness. */
    IOException faulted(IOException e) {
        if (e instanceof StorageFullException || e instanceof StorageReadOnlyException) {
            health.recheckSoon();
        }
        return e;
    }

    /**
     * An upload's write, seal or rename failed: the storage's refusal in its own words, and when the kernel's words
     * name no fault of the storage (its file gone, an I/O error) but the storage is down now (unmounted, hung), that:
     * the partner is told the storage is unavailable, not "NoSuchFileException".
     */
    IOException uploadFault(IOException e, Path where) {
        IOException fault = faulted(StorageFaults.translate(e, where));
        if (fault instanceof StorageException) {
            return fault;
        }
        StorageHealth.Status now = health.recent();
        return now.up() ? fault : StorageHealth.refusal(now, e);
    }

    @Override
    public Quota quota() {
        return quota;
    }

    @Override
    public UsageTracker.Usage usage() throws IOException {
        return usage.usage(jail.home());
    }

    @Override
    public Space space() throws IOException {
        java.nio.file.FileStore volume = Files.getFileStore(jail.home());
        long total = volume.getTotalSpace();
        long free = volume.getUsableSpace();
        long files = 0;
        long freeFiles = 0;
        if (quota.maxBytes() > 0 || quota.maxFiles() > 0) {
            UsageTracker.Usage used = usage();
            if (quota.maxBytes() > 0) {
                total = quota.maxBytes();
                free = Math.max(0, Math.min(free, total - used.bytes()));
            }
            if (quota.maxFiles() > 0) {
                files = quota.maxFiles();
                freeFiles = Math.max(0, files - used.files());
            }
        }
        return new Space(total, free, files, freeFiles);
    }

    /** Counts bytes an upload is about to write, unless the quota (plus what the upload will free) forbids it. */
    boolean reserve(long bytes, long credit) throws IOException {
        return quota.maxBytes() == 0 || usage.tryAddBytes(jail.home(), bytes, quota.maxBytes() + credit);
    }

    /** An upload freed (or gave back) bytes and maybe the file it had counted. */
    void released(long bytes, boolean file) {
        usage.changed(jail.home(), quota.maxBytes() == 0 ? 0 : -bytes, file ? -1 : 0);
    }
}
