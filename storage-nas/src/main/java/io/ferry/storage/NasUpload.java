package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import io.ferry.common.FailureKind;

/**
 * An upload into {@code .ferry-part-<name>}, locked for its lifetime, published by an atomic rename when it
 * completes. Every byte it adds is counted against the account's quota before it is written, so concurrent uploads
 * of one account cannot together go over it.
 *
 * <p>To its owner it is a file: written at any position (a gap reads as zeros), read back, cut or extended. An
 * upload written out of order is hashed from its content when it completes (the stream's hash would not be the
 * file's), and so is a resumed one that must be ({@link #hashWhole}); reading back also checks every encrypted segment
 * before the file is published.
 */
final class NasUpload implements Upload {

    private final NasFileStore store;
    private final Path target;
    private final Path part;
    private final FileChannel channel;
    /** Taken again after each operation on the part by name ({@link #onPart}). */
    private FileLock lock;
    /** Its entry among the pending files this process holds ({@link HeldParts}). */
    private final HeldParts.Held held;
    private final ContentWriter writer;
    /** The upload counted a new file against the file quota when it opened (only when there is a file quota). */
    private final boolean newFile;
    /** Bytes of the file this upload replaces: freed when it completes, so they may be used meanwhile. */
    private final long credit;
    /** Bytes of the part counted in the account's usage: at the open, plus what the upload added or cut since. */
    private long charged;
    private final long startSize;
    private long position;
    /** Every change so far appended at the end: the caller's hash of the stream is the file's. */
    private boolean inOrder = true;
    private boolean markedRewritten;
    /** Sealed whole and on stable storage by {@link #prepare}: only its publication is left. */
    private boolean prepared;
    /** A gap up to this is not worth asking the storage about its free space. */
    private static final long SMALL_GAP = 1024 * 1024;
    private boolean quotaBroken;
    /** The first write, flush or sync that failed: from then on the upload can be kept for a resume, never published. */
    private IOException broken;
    private boolean done;
    private volatile FileTime requestedTime;
    private boolean hashWhole;
    /** The part was created by this upload: it carries no mark of an earlier one ({@link PendingUploads}). */
    private final boolean freshPart;
    /**
     * Everything written so far is on stable storage (the client asked for an fsync, and nothing changed since): the
     * completion need not force the data again.
     */
    private boolean durable;
    /** The lock could not be taken again after an operation by name ({@link #onPart}): the part is not ours. */
    private boolean lockLost;

    @SuppressWarnings("checkstyle:ParameterNumber")
    NasUpload(NasFileStore store, Path target, Path part, FileChannel channel, FileLock lock, HeldParts.Held held,
            ContentWriter writer, boolean newFile, long credit, long counted, boolean freshPart) {
        this.store = store;
        this.target = target;
        this.part = part;
        this.channel = channel;
        this.lock = lock;
        this.held = held;
        this.writer = writer;
        this.newFile = newFile;
        this.credit = credit;
        this.charged = counted;
        this.startSize = writer.size();
        this.position = startSize;
        this.freshPart = freshPart;
    }

    @Override
    public void hashWhole() {
        hashWhole = true;
    }

    @Override
    public long startSize() {
        return startSize;
    }

    @Override
    public void setLastModified(FileTime time) {
        this.requestedTime = time;
    }

    @Override
    public FileTime requestedLastModified() {
        return requestedTime;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureWritable();
        int length = src.remaining();
        long size = writer.size();
        grow(within(position + length), size, position > size);
        if (position != size) {
            changedOutOfOrder(position < size);
        }
        durable = false;
        try {
            writer.write(src, position);
        } catch (IOException e) {
            throw broke(e);
        }
        position += length;
        return length;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        ensureWritable();
        int n;
        try {
            n = writer.read(dst, position);
        } catch (IOException e) {
            throw broke(e);
        }
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        if (broken != null) {
            ensureWritable(); // after a failure, every request answers with it (a client's pipelined writes too)
        }
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position " + newPosition);
        }
        position = within(newPosition);
        return this;
    }

    @Override
    public long size() {
        return writer.size();
    }

    /** As POSIX {@code ftruncate}: a shorter size cuts the upload, a longer one extends it with zeros. */
    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        ensureWritable();
        if (size < 0) {
            throw new IllegalArgumentException("negative size " + size);
        }
        within(size);
        long before = writer.size();
        if (size == before) {
            return this;
        }
        grow(size, before, true);
        changedOutOfOrder(size < before);
        durable = false;
        try {
            writer.truncate(size);
        } catch (IOException e) {
            throw broke(e);
        }
        if (size < before) {
            store.released(before - size, false);
            charged -= before - size;
        }
        return this;
    }

    /** {@code fsync}: everything written so far is on stable storage; a resume after a crash starts from here. */
    @Override
    public void sync() throws IOException {
        ensureWritable();
        try {
            writer.sync();
        } catch (IOException e) {
            throw broke(e);
        }
        durable = !markedRewritten; // a mark to clear at completion is a change still to make durable
    }

    /**
     * Counts the bytes taking the upload from {@code size} to {@code newEnd} against the quota (a broken quota
     * removes the upload), and refuses a gap ({@code hole}) the storage has no room for: asking for one costs the
     * client nothing, filling it costs the storage (and, encrypted, the CPU sealing its zeros).
     */
    private void grow(long newEnd, long size, boolean hole) throws IOException {
        long growth = newEnd - size;
        if (growth <= 0) {
            return;
        }
        if (hole && growth > SMALL_GAP && growth > Files.getFileStore(part).getUsableSpace()) {
            // refused before anything is counted; the free space is the storage's, not the account's, to know
            throw store.faulted(new StorageFullException(StorageFaults.FULL + ": the gap asked for does not fit",
                    null));
        }
        if (!store.reserve(growth, credit)) {
            quotaBroken = true;
            abandon();
            throw new QuotaExceededException(FailureKind.QUOTA.words() + ": the account may store "
                    + store.quota().maxBytes() + " bytes; the upload was removed");
        }
        charged += growth;
    }

    /** {@code offset} when it is within the largest upload; otherwise refused (an offset can overflow). */
    private static long within(long offset) throws StorageException {
        if (offset < 0 || offset > MAX_SIZE) {
            throw new StorageException("offset beyond the largest file the storage keeps (" + MAX_SIZE + " bytes)");
        }
        return offset;
    }

    /**
     * The first change not at the end: the part is marked, durably, before the rewrite (a crash may tear a rewrite
     * anywhere, and a resume of a marked part checks all of it).
     */
    private void changedOutOfOrder(boolean rewrite) throws IOException {
        inOrder = false;
        if (rewrite && !markedRewritten) {
            onPart(() -> PendingUploads.markRewritten(part));
            try {
                channel.force(true);
            } catch (IOException e) {
                throw broke(e);
            }
            markedRewritten = true;
        }
    }

    @Override
    public boolean isOpen() {
        return !done;
    }

    @Override
    public String prepare(String sha256) throws IOException {
        ensureWritable();
        // a resumed upload is hashed whole from its content when its row must stand for the file (hashWhole)
        String whole = inOrder && (startSize == 0 || !hashWhole) ? (startSize == 0 ? sha256 : null) : contentSha256();
        try {
            boolean wrote = writer.finish();
            prepared = true; // sealed as whole: nothing more is written, and an abandon keeps it as it is
            onPart(() -> {
                if (requestedTime != null) {
                    // after the last byte (a rename keeps it), before the checksum, bound to the file's time
                    Files.setLastModifiedTime(part, requestedTime);
                }
                if (whole != null) {
                    ContentDigest.record(part, whole);
                } else if (!freshPart) {
                    ContentDigest.forget(part); // one a crash left on the part, just before its rename
                }
                if (!freshPart || markedRewritten) {
                    PendingUploads.clearRewritten(part);
                }
            });
            // the content is forced unless the client's last fsync covered all of it; the checksum attribute is not
            // content: it is bound to the file's size and time, and a crash that loses it costs a hash, not a byte
            if (wrote || !durable) {
                channel.force(true);
            }
        } catch (IOException e) {
            throw broke(e);
        }
        return whole;
    }

    @Override
    public void publish() throws IOException {
        if (!prepared || broken != null || done) {
            throw new IllegalStateException("publish() without a successful prepare()");
        }
        done = true;
        try {
            // published while still locked: no other upload can touch the part before it becomes the file
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw broke(e);
        } finally {
            release();
        }
        forceDirectory(target.getParent());
        store.released(credit, false);
    }

    /** The SHA-256 of the whole content, read back (an encrypted segment that does not open fails the upload). */
    private String contentSha256() throws IOException {
        return Sha256.of(this, 0, writer.size());
    }

    @Override
    public void abandon() throws IOException {
        if (done) {
            return;
        }
        done = true;
        if (lockLost) {
            release(); // another node holds the part now: it is neither kept, changed nor removed from here
            if (newFile) {
                store.released(0, true); // a pending upload is not a file yet
            }
            return;
        }
        // a broken upload that was changed out of order may lack a change it acknowledged (a rewrite not yet
        // sealed): a resume from its size would publish the file without it, so it is not kept
        boolean discard = quotaBroken || broken != null && !inOrder;
        try {
            if (!discard) {
                if (!prepared) {
                    writer.suspend(); // a prepared part is whole already: a resume continues it as it is
                }
                channel.force(true);
                // its operations by name come last: the JDK's open and close of the file for them drops the lock,
                // which is let go next anyway
                if (prepared && requestedTime != null) {
                    // it took the client's time for the file: abandoned uploads are swept by age, and it is new
                    Files.setLastModifiedTime(part, FileTime.from(Instant.now()));
                }
                if (broken == null) {
                    // suspended cleanly: every segment is whole, and a resume need not check them all
                    PendingUploads.clearRewritten(part);
                }
            }
        } finally {
            try {
                if (discard) {
                    Files.deleteIfExists(part); // while still locked: a part another upload has locked is its own
                }
            } finally {
                release();
                if (discard) {
                    store.released(charged, newFile);
                } else if (newFile) {
                    store.released(0, true); // a pending upload is not a file yet
                }
            }
        }
    }

    /** Same as {@link #abandon()}: an upload that is not completed is kept for resuming. */
    @Override
    public void close() throws IOException {
        abandon();
    }

    private void release() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } finally {
            try {
                channel.close();
            } finally {
                HeldParts.let(part, held);
            }
        }
    }

    /** An operation on the part by its name. */
    @FunctionalInterface
    private interface PartAction {
        void run() throws IOException;
    }

    /**
     * Runs an operation on the part by its name (its time, its attributes): the JDK opens and closes the file for
     * it, which drops this process's lock on it ({@link HeldParts}), so the lock is taken again at once. An upload
     * whose part another node took in that moment breaks.
     */
    private void onPart(PartAction action) throws IOException {
        try {
            action.run();
        } finally {
            try {
                lock = NasFileStore.relock(channel, lock);
            } catch (IOException e) {
                lockLost = true; // the part is another node's now: nothing more is done to it
                throw broke(e);
            }
        }
    }

    /** Remembers the storage's first failure (worded for the client) and answers it. */
    private IOException broke(IOException e) {
        IOException fault = store.uploadFault(e, part);
        if (broken == null) {
            broken = fault;
        }
        return fault;
    }

    private void ensureWritable() throws IOException {
        if (broken != null) {
            throw new StorageException("the upload cannot be completed: " + StorageFaults.reason(broken)
                    + (inOrder ? "; what was received is kept for a resume"
                            : "; it was written out of order, so it cannot be resumed: upload it anew"), broken);
        }
        if (done || prepared) {
            throw new StorageException(quotaBroken ? "quota exceeded" : "the upload has ended");
        }
    }

    /** Makes a rename durable: fsync of the directory (POSIX; a no-op where directories cannot be opened). */
    private static void forceDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open or sync directories; the file itself is already on disk.
        }
    }
}
