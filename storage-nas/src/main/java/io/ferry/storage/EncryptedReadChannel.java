package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * Reads the plaintext of a finished encrypted file at any position, one authenticated segment at a time. Any
 * alteration or truncation surfaces as an {@link IOException}; unauthenticated bytes are never returned.
 */
final class EncryptedReadChannel implements SeekableByteChannel {

    private final FileChannel file;
    private final EncryptedFormat.Header header;
    private final long size;
    private final long lastIndex;
    private final byte[] sealed;
    private final byte[] plain;
    private long cachedIndex = -1;
    private int cachedLength;
    private long position;

    EncryptedReadChannel(FileChannel file, StorageKeys keys) throws IOException {
        this.file = file;
        this.header = EncryptedFormat.readHeader(file, keys);
        this.size = EncryptedFormat.plaintextSize(header, file.size());
        this.lastIndex = size / header.segmentSize;
        this.sealed = new byte[header.cipherSegment()];
        this.plain = new byte[header.segmentSize];
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (position >= size) {
            // the final segment must authenticate even when the reader only asks for the end
            if (position == size && cachedIndex != lastIndex) {
                load(lastIndex);
            }
            return -1;
        }
        int total = 0;
        while (dst.hasRemaining() && position < size) {
            long index = position / header.segmentSize;
            if (index != cachedIndex) {
                load(index);
            }
            int offset = (int) (position - index * header.segmentSize);
            int n = Math.min(dst.remaining(), cachedLength - offset);
            dst.put(plain, offset, n);
            position += n;
            total += n;
        }
        return total;
    }

    private void load(long index) throws IOException {
        boolean last = index == lastIndex;
        long start = header.offsetOf(index);
        int length = (int) Math.min(header.cipherSegment(), file.size() - start);
        ByteBuffer buffer = ByteBuffer.wrap(sealed, 0, length);
        EncryptedFormat.readFully(file, buffer, start);
        int n = header.open(index, last, sealed, length, plain);
        if (n < 0) {
            cachedIndex = -1;
            throw new IOException("integrity check failed: the stored file was altered or truncated (segment "
                    + index + ")");
        }
        cachedIndex = index;
        cachedLength = n;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position");
        }
        this.position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
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
