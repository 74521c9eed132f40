package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

import io.ferry.storage.Upload;
import io.ferry.transfer.log.TransferTracker;

/**
 * A file opened over SFTP for a transfer: the storage's channel (an {@link Upload}, or a reader), with every byte
 * moved passed to a {@link TransferTracker}, and a flag so the transfer is logged exactly once.
 */
final class TransferChannel implements SeekableByteChannel {

    private final SeekableByteChannel inner;
    private final TransferTracker tracker;
    private final String path;
    private final SftpSessions.Origin origin;
    private boolean recorded;

    TransferChannel(SeekableByteChannel inner, TransferTracker tracker, String path, SftpSessions.Origin origin) {
        this.inner = inner;
        this.tracker = tracker;
        this.path = path;
        this.origin = origin;
    }

    /** Who moved the file, as the session said when the file was opened (a closing session forgets it). */
    SftpSessions.Origin origin() {
        return origin;
    }

    SeekableByteChannel inner() {
        return inner;
    }

    /** The upload, or null for a download. */
    Upload upload() {
        return inner instanceof Upload upload ? upload : null;
    }

    TransferTracker tracker() {
        return tracker;
    }

    /** The path as the client named it, inside its home. */
    String path() {
        return path;
    }

    /** Marks the transfer as logged; false if it already was. */
    boolean markRecorded() {
        if (recorded) {
            return false;
        }
        recorded = true;
        return true;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        long position = inner.position();
        int read = inner.read(dst);
        if (read > 0) {
            ByteBuffer moved = dst.duplicate();
            moved.limit(dst.position()).position(dst.position() - read);
            tracker.moved(position, moved);
        }
        return read;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long position = inner.position();
        ByteBuffer moved = src.duplicate();
        int written = inner.write(src);
        if (written > 0) {
            moved.limit(moved.position() + written);
            tracker.moved(position, moved);
        }
        return written;
    }

    @Override
    public long position() throws IOException {
        return inner.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        inner.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return inner.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        inner.truncate(size);
        return this;
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
