package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

/** Files kept as they were sent. */
final class PlainContent implements ContentFormat {

    static final PlainContent INSTANCE = new PlainContent();

    private PlainContent() {
    }

    @Override
    public ContentWriter create(FileChannel part) throws IOException {
        return new PlainWriter(part);
    }

    /** A part that was written encrypted (before encryption was turned off) is not appended to in plain. */
    @Override
    public boolean resumable(FileChannel part) {
        try {
            return !EncryptedFormat.isEncrypted(part);
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public ContentWriter resume(FileChannel part, boolean rewritten) throws IOException {
        return new PlainWriter(part);
    }

    @Override
    public long resumableSize(FileChannel part, boolean rewritten) throws IOException {
        return part.size();
    }

    @Override
    public SeekableByteChannel reader(FileChannel file) {
        return file;
    }

    @Override
    public long heldSize(FileChannel part) throws IOException {
        return part.size();
    }

    @Override
    public long plaintextSize(FileChannel file) throws IOException {
        return file.size();
    }

    @Override
    public boolean sizesDiffer() {
        return false;
    }
}
