package io.ferry.storage;

import java.nio.channels.SeekableByteChannel;

/** A complete file's plaintext, opened for reading, with the checksum the storage kept for it when there is one. */
public interface StoredContent extends SeekableByteChannel {

    /**
     * The SHA-256 (lower-case hex) of the whole plaintext, as recorded when the file was written, when the storage
     * holds one and the file is still the one it was recorded for; null otherwise (the caller hashes what it reads).
     */
    String recordedSha256();
}
