package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Plain files: bytes as they come, where they are sent (a gap is a hole of the file system: zeros, not stored). */
final class PlainWriter implements ContentWriter {

    private final FileChannel file;
    private final Flusher flusher;
    private long size;

    PlainWriter(FileChannel file) throws IOException {
        this.file = file;
        this.flusher = new Flusher(file);
        this.size = file.size();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        write(src, size);
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        int length = src.remaining();
        long at = position;
        while (src.hasRemaining()) {
            at += file.write(src, at);
        }
        size = Math.max(size, at);
        flusher.written(length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        if (position >= size) {
            return -1;
        }
        ByteBuffer window = dst.duplicate();
        window.limit((int) Math.min(dst.limit(), dst.position() + size - position));
        int n = file.read(window, position);
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    @Override
    public void truncate(long newSize) throws IOException {
        if (newSize < size) {
            file.truncate(newSize);
        } else if (newSize > size) {
            file.write(ByteBuffer.allocate(1), newSize - 1); // the rest is a hole
        }
        size = newSize;
    }

    @Override
    public void sync() throws IOException {
        file.force(false);
    }

    @Override
    public boolean finish() {
        return false; // nothing buffered
    }

    @Override
    public void suspend() {
        // nothing buffered
    }
}
