package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;

import io.ferry.common.FailureKind;

/**
 * An upload into {@code .ferry-part-<name>}, locked for its lifetime, published by an atomic rename when it
 * completes. Every write is counted against the account's quota before it is made, so concurrent uploads of one
 * account cannot together go over it.
 */
final class NasUpload implements Upload {

    private final NasFileStore store;
    private final Path target;
    private final Path part;
    private final FileChannel channel;
    private final FileLock lock;
    private final ContentWriter writer;
    /** The upload counted a new file against the file quota when it opened (only when there is a file quota). */
    private final boolean newFile;
    /** Bytes of the file this upload replaces: freed when it completes, so they may be used meanwhile. */
    private final long credit;
    /** Bytes of the part already counted in the account's usage when the upload opened. */
    private final long counted;
    private final long startSize;
    private long reserved;
    private boolean quotaBroken;
    /** The first write, flush or sync that failed: from then on the upload can be kept for a resume, never published. */
    private IOException broken;
    private boolean done;
    private volatile FileTime requestedTime;

    @SuppressWarnings("checkstyle:ParameterNumber")
    NasUpload(NasFileStore store, Path target, Path part, FileChannel channel, FileLock lock, ContentWriter writer,
            boolean newFile, long credit, long counted) {
        this.store = store;
        this.target = target;
        this.part = part;
        this.channel = channel;
        this.lock = lock;
        this.writer = writer;
        this.newFile = newFile;
        this.credit = credit;
        this.counted = counted;
        this.startSize = writer.size();
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
        if (!store.reserve(length, credit)) {
            quotaBroken = true;
            abandon();
            throw new QuotaExceededException(FailureKind.QUOTA.words() + ": the account may store "
                    + store.quota().maxBytes()
                    + " bytes; the upload was removed");
        }
        reserved += length;
        try {
            writer.write(src);
        } catch (IOException e) {
            throw broke(e);
        }
        return length;
    }

    @Override
    public int read(ByteBuffer dst) {
        throw new NonReadableChannelException();
    }

    @Override
    public long position() {
        return writer.size();
    }

    /** Only the end: an upload is written in order (a resumed one from where it stopped). */
    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        if (broken != null) {
            ensureWritable(); // after a failure, every request answers with it (a client's pipelined writes too)
        }
        if (newPosition != writer.size()) {
            throw new StorageException("uploads are written sequentially: write at offset " + writer.size()
                    + ", not " + newPosition);
        }
        return this;
    }

    @Override
    public long size() {
        return writer.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        if (size != writer.size()) {
            throw new StorageException("an upload cannot be truncated");
        }
        return this;
    }

    @Override
    public boolean isOpen() {
        return !done;
    }

    @Override
    public void complete(String sha256) throws IOException {
        ensureWritable();
        done = true;
        try {
            writer.finish();
            if (sha256 != null && startSize == 0) {
                ContentDigest.record(part, sha256);
            } else {
                ContentDigest.forget(part); // one a crash left on the part, just before its rename
            }
            channel.force(true);
            if (requestedTime != null) {
                Files.setLastModifiedTime(part, requestedTime); // after the last byte; a rename keeps it
            }
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

    @Override
    public void abandon() throws IOException {
        if (done) {
            return;
        }
        done = true;
        try {
            if (!quotaBroken) {
                writer.suspend();
                channel.force(true);
            }
        } finally {
            release();
            if (quotaBroken) {
                Files.deleteIfExists(part);
                store.released(counted + reserved, newFile);
            } else if (newFile) {
                store.released(0, true); // a pending upload is not a file yet
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
            channel.close();
        }
    }

    /** Remembers the storage's first failure (worded for the client) and answers it. */
    private IOException broke(IOException e) {
        IOException fault = store.faulted(StorageFaults.translate(e, part));
        if (broken == null) {
            broken = fault;
        }
        return fault;
    }

    private void ensureWritable() throws IOException {
        if (broken != null) {
            throw new StorageException("the upload cannot be completed: " + StorageFaults.reason(broken)
                    + "; what was received is kept for a resume", broken);
        }
        if (done) {
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
