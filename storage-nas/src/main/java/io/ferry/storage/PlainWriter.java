package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Plain files: bytes as they come, appended at the end. */
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
        int length = src.remaining();
        while (src.hasRemaining()) {
            size += file.write(src, size);
        }
        flusher.written(length);
    }

    @Override
    public void finish() {
        // nothing buffered
    }

    @Override
    public void suspend() {
        // nothing buffered
    }
}
