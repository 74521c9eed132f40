package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

/**
 * How a file's bytes are kept on the storage: {@link PlainContent}, or at-rest encryption
 * ({@link EncryptedContent}, a decorator over the plain format that reads files in either). {@link NasFileStore}
 * knows nothing of encryption: it asks its format to write an upload, read a file and say their sizes.
 */
interface ContentFormat {

    /** A writer for an upload part that starts from nothing (the part is empty). */
    ContentWriter create(FileChannel part) throws IOException;

    /** Whether a pending upload part can be continued as it is: written in the format and key new files get. */
    boolean resumable(FileChannel part);

    /**
     * A writer that continues a {@link #resumable} part.
     *
     * @param rewritten the part was written out of order before (a crash may have torn any of its rewrites)
     */
    ContentWriter resume(FileChannel part, boolean rewritten) throws IOException;

    /** The plaintext size a {@link #resumable} part can be continued from, without changing it. */
    long resumableSize(FileChannel part, boolean rewritten) throws IOException;

    /**
     * About how much plaintext a {@link #resumable} part holds, from its stored size alone (nothing is read but a
     * header): at least what {@link #resumableSize} finds, which checks the last segments.
     */
    long heldSize(FileChannel part) throws IOException;

    /** A complete file's plaintext, in whatever format it was written (the caller's channel is taken over). */
    SeekableByteChannel reader(FileChannel file) throws IOException;

    /** A complete file's plaintext size. */
    long plaintextSize(FileChannel file) throws IOException;

    /** Whether a complete file's stored size may differ from its plaintext size (then sizes need the file opened). */
    boolean sizesDiffer();
}
