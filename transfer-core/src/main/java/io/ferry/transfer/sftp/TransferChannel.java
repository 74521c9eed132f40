package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

import io.ferry.transfer.log.TransferTracker;

/** A file opened over SFTP: the real channel, with every byte read or written passed to a {@link TransferTracker}. */
final class TransferChannel implements SeekableByteChannel {

    private final FileChannel file;
    private final TransferTracker tracker;
    private final String path;

    TransferChannel(FileChannel file, TransferTracker tracker, String path) {
        this.file = file;
        this.tracker = tracker;
        this.path = path;
    }

    FileChannel file() {
        return file;
    }

    TransferTracker tracker() {
        return tracker;
    }

    /** The path as the client named it, inside the jail. */
    String path() {
        return path;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        long position = file.position();
        int read = file.read(dst);
        if (read > 0) {
            ByteBuffer moved = dst.duplicate();
            moved.limit(dst.position()).position(dst.position() - read);
            tracker.moved(position, moved);
        }
        return read;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long position = file.position();
        ByteBuffer moved = src.duplicate();
        int written = file.write(src);
        if (written > 0) {
            moved.limit(moved.position() + written);
            tracker.moved(position, moved);
        }
        return written;
    }

    @Override
    public long position() throws IOException {
        return file.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        file.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return file.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        file.truncate(size);
        return this;
    }

    @Override
    public boolean isOpen() {
        return file.isOpen();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
