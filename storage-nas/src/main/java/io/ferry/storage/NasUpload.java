package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** An upload into {@code .ferry-part-<name>}, published by an atomic rename when it completes. */
final class NasUpload implements Upload {

    private final NasFileStore store;
    private final Path target;
    private final Path part;
    private final FileChannel channel;
    private final ContentWriter writer;
    /** Plaintext size the quota allows this file to reach. */
    private final long allowance;
    private final boolean targetExisted;
    private final long targetBefore;
    private final long partBefore;
    private final long startSize;
    private boolean quotaBroken;
    private boolean done;

    @SuppressWarnings("checkstyle:ParameterNumber")
    NasUpload(NasFileStore store, Path target, Path part, FileChannel channel, ContentWriter writer, long allowance,
            boolean targetExisted, long targetBefore, long partBefore) {
        this.store = store;
        this.target = target;
        this.part = part;
        this.channel = channel;
        this.writer = writer;
        this.allowance = allowance;
        this.targetExisted = targetExisted;
        this.targetBefore = targetBefore;
        this.partBefore = partBefore;
        this.startSize = writer.size();
    }

    @Override
    public long startSize() {
        return startSize;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        ensureWritable();
        int length = src.remaining();
        if (writer.size() + length > allowance) {
            quotaBroken = true;
            abandon();
            throw new QuotaExceededException("quota exceeded: the account may store " + store.quota().maxBytes()
                    + " bytes; the upload was removed");
        }
        writer.write(src);
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
    public void complete() throws IOException {
        ensureWritable();
        done = true;
        try {
            writer.finish();
            channel.force(true);
        } finally {
            channel.close();
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(target.getParent());
        store.published(Files.size(target) - targetBefore - partBefore, !targetExisted);
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
            channel.close();
            if (quotaBroken) {
                Files.deleteIfExists(part);
                store.removed(partBefore);
            }
        }
    }

    /** Same as {@link #abandon()}: an upload that is not completed is kept for resuming. */
    @Override
    public void close() throws IOException {
        abandon();
    }

    private void ensureWritable() throws IOException {
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
