package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A file's plaintext reader (plain or decrypting) with the checksum found for it when it was opened. */
final class ReadContent implements StoredContent {

    private final SeekableByteChannel plaintext;
    private final String recordedSha256;

    ReadContent(SeekableByteChannel plaintext, String recordedSha256) {
        this.plaintext = plaintext;
        this.recordedSha256 = recordedSha256;
    }

    @Override
    public String recordedSha256() {
        return recordedSha256;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return plaintext.read(dst);
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
        return plaintext.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        plaintext.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return plaintext.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return plaintext.isOpen();
    }

    @Override
    public void close() throws IOException {
        plaintext.close();
    }
}
