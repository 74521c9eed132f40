package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Appends an upload's plaintext to its file in the file's format. */
interface ContentWriter {

    /** Plaintext bytes in the file so far, including any resumed ones. */
    long size();

    /** Appends all of {@code src}. */
    void write(ByteBuffer src) throws IOException;

    /** Seals the content as complete (for encryption: the final segment). */
    void finish() throws IOException;

    /** Writes out what is buffered so the upload can be resumed later from {@link #size()}. */
    void suspend() throws IOException;
}
