package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

/**
 * At-rest encryption ({@link EncryptedFormat}) over the plain format: files written encrypted are read and sized
 * through the storage keys, all others through the plain format, so turning encryption on keeps older plain files
 * readable, and turning it off keeps encrypted ones readable while new files are written plain.
 */
final class EncryptedContent implements ContentFormat {

    private final ContentFormat plain;
    private final StorageKeys keys;
    private final boolean encryptNew;

    /**
     * @param plain      the format of files not written encrypted
     * @param keys       the storage keys (the active one encrypts, every one decrypts)
     * @param encryptNew write new uploads encrypted; false: only read encrypted files (encryption turned off)
     */
    EncryptedContent(ContentFormat plain, StorageKeys keys, boolean encryptNew) {
        this.plain = plain;
        this.keys = keys;
        this.encryptNew = encryptNew;
    }

    @Override
    public ContentWriter create(FileChannel part) throws IOException {
        return encryptNew ? EncryptedWriter.create(part, keys) : plain.create(part);
    }

    /** An encrypted part under the active key; a part under a retired key or in plain starts over. */
    @Override
    public boolean resumable(FileChannel part) {
        if (!encryptNew) {
            return plain.resumable(part);
        }
        try {
            return EncryptedFormat.isEncrypted(part)
                    && EncryptedFormat.readHeader(part, keys).keyId.equals(keys.activeId());
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public ContentWriter resume(FileChannel part, boolean rewritten) throws IOException {
        return encryptNew ? EncryptedWriter.resume(part, keys, rewritten) : plain.resume(part, rewritten);
    }

    @Override
    public long resumableSize(FileChannel part, boolean rewritten) throws IOException {
        return encryptNew ? EncryptedWriter.resumableSize(part, keys, rewritten)
                : plain.resumableSize(part, rewritten);
    }

    @Override
    public long heldSize(FileChannel part) throws IOException {
        if (!encryptNew) {
            return plain.heldSize(part);
        }
        return EncryptedFormat.heldSize(EncryptedFormat.readHeader(part, keys), part.size());
    }

    @Override
    public SeekableByteChannel reader(FileChannel file) throws IOException {
        return EncryptedFormat.isEncrypted(file) ? new EncryptedReadChannel(file, keys) : plain.reader(file);
    }

    @Override
    public long plaintextSize(FileChannel file) throws IOException {
        if (!EncryptedFormat.isEncrypted(file)) {
            return plain.plaintextSize(file);
        }
        return EncryptedFormat.plaintextSize(EncryptedFormat.readHeader(file, keys), file.size());
    }

    @Override
    public boolean sizesDiffer() {
        return true;
    }
}
