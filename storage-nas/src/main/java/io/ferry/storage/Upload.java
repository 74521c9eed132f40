package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.attribute.FileTime;

/**
 * An upload in progress, visible under its name only after {@link #complete()}. To its owner it is a file: written
 * at any position (from {@link #startSize()} when nobody positions it: 0, where a resumed upload left off, or the end
 * of the file appended to), read back, and cut or extended by {@link #truncate}, which works as POSIX
 * {@code ftruncate} (a longer size extends it with zeros).
 */
public interface Upload extends SeekableByteChannel {

    /** The largest upload: 1 PiB, the encrypted format's 2^32 segments of 256 KiB (offsets past it are refused). */
    long MAX_SIZE = 1L << 50;

    /** Plaintext bytes the file held when this upload was opened. */
    long startSize();

    /**
     * The modification time the file gets when it is published (a client set it on its handle before closing: lftp
     * {@code mirror}, {@code put -p}, rclone); null for the time of publication. An upload left for a resume keeps
     * the time it was last written (abandoned uploads are swept by age).
     */
    void setLastModified(FileTime time);

    /** The time {@link #setLastModified} asked for, or null. */
    FileTime requestedLastModified();

    /**
     * Seals the content, forces it to stable storage, publishes it under its name with one atomic rename and forces
     * the directory too, so the file survives a crash the moment this returns.
     */
    default void complete() throws IOException {
        complete(null);
    }

    /** Forces everything written so far to stable storage ({@code fsync}): a resume after a crash starts from here. */
    void sync() throws IOException;

    /**
     * As {@link #complete()}, keeping {@code sha256}, the SHA-256 (lower-case hex) of the file's whole plaintext that
     * the caller hashed as it wrote, with the file, so that reading the whole file later need not hash it again
     * ({@link StoredContent#recordedSha256()}). Null when the caller did not hash every byte (a resumed upload).
     *
     * @return the SHA-256 of the whole published file when it is known: {@code sha256}, or, for an upload written
     *         out of order (at other positions than its end, or cut), the storage's own hash of the content, which
     *         the caller's hash of what it sent is not; null otherwise
     */
    default String complete(String sha256) throws IOException {
        String whole = prepare(sha256);
        publish();
        return whole;
    }

    /**
     * The first half of {@link #complete(String)}: seals the content, keeps {@code sha256} as that does, and forces
     * it to stable storage, not yet under its name. Nothing more can be written; {@link #publish()} or
     * {@link #abandon()} follows (an abandoned prepared upload is kept, whole, for a resume). A caller that must
     * commit something with the publication (the transfer log's row) publishes inside its transaction, so that a
     * file whose row cannot be written is never published.
     *
     * @return as {@link #complete(String)}
     */
    String prepare(String sha256) throws IOException;

    /**
     * Makes {@link #prepare} hash a resumed upload whole from its content, so that its transfer-log row stands for
     * the whole file: for an upload carried over to another node when the one it began on died (issue 23), whose
     * partner sent it once. A resume the partner asked for ({@code reput}, {@code REST}) keeps the hash of what it
     * sent.
     */
    void hashWhole();

    /** The second half of {@link #complete(String)}: the atomic rename into place, and the directory forced. */
    void publish() throws IOException;

    /**
     * Ends the upload without publishing it: what was received stays, durable, for a later resume (unless the
     * upload broke the quota, in which case it is removed).
     */
    void abandon() throws IOException;
}
