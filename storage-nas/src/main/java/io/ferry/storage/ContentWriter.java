package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes an upload's plaintext to its file in the file's format: appended in order (the common case, streamed), or
 * at any position, read back and cut, as a file opened for writing is to its owner.
 */
interface ContentWriter {

    /** Plaintext bytes in the file so far, including any resumed ones. */
    long size();

    /** Appends all of {@code src}. */
    void write(ByteBuffer src) throws IOException;

    /**
     * Writes all of {@code src} at {@code position}: over what is there, or past the end, where the gap reads as
     * zeros (as a sparse file's does).
     */
    void write(ByteBuffer src, long position) throws IOException;

    /** Reads plaintext written so far from {@code position}; -1 at or past the end. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Makes the content {@code size} bytes long, as POSIX {@code ftruncate}: cut, or extended with zeros. */
    void truncate(long size) throws IOException;

    /** Forces everything written so far to stable storage: a resume after a crash starts at least from here. */
    void sync() throws IOException;

    /**
     * Seals the content as complete (for encryption: the final segment).
     *
     * @return whether it wrote to the file (what a {@link #sync()} before it made durable is then not all of it)
     */
    boolean finish() throws IOException;

    /** Writes out what is buffered so the upload can be resumed later from {@link #size()}. */
    void suspend() throws IOException;

    /**
     * Waits, on another thread than the writer's, until what the writer handed to the file so far is in it (no
     * sync): a look at the upload in progress then reads what its writer wrote ({@link HeldParts}).
     */
    default void settle() {
    }

    /**
     * About how much plaintext a part of {@code storedLength} bytes, written by this writer, holds (as
     * {@link ContentFormat#heldSize}, from the length alone): a look at the upload in progress, without opening it.
     */
    default long heldSize(long storedLength) {
        return storedLength;
    }
}
