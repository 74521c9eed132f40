package io.ferry.storage;

import java.io.IOException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.OptionalLong;

/**
 * One account's files on the shared storage: the storage SPI every protocol adapter goes through (SFTP and FTPS;
 * the edge reaches it through a node's SFTP). Paths are those of {@link #openFileSystem()}, where {@code /} is the account's home; a protocol
 * turns what its client named into such a path, asks {@link #resolve(Path)}, and then works on the result.
 *
 * <p>The rules live here, once for every protocol: the jail, names reserved for Ferry, uploads that stay invisible
 * until complete and can be resumed, durability on completion, encryption at rest, and quotas.
 */
public interface FileStore {

    /** A new view of the account's files (the caller closes it; closing touches no file). */
    FileSystem openFileSystem() throws IOException;

    /**
     * Checks a path a client named and says where it is stored. Refuses ({@link java.nio.file.AccessDeniedException})
     * paths that leave the home through a link and names reserved for Ferry. When the file does not exist but an
     * upload of it is in progress, answers the pending upload's path, so the client sees how much it sent and can
     * resume; reading it is refused.
     */
    Path resolve(Path path) throws IOException;

    /**
     * The entries of a directory that clients see: pending uploads and Ferry's own files are left out. The caller
     * closes the stream; entries are paths of the same file system as {@code dir}.
     */
    DirectoryStream<Path> list(Path dir) throws IOException;

    /** Whether {@code path} (as {@link #resolve} answered it) is an upload still in progress, not a file. */
    boolean isPending(Path path);

    /** The name a client sees for a stored name: a pending upload's is its file's. */
    static String clientName(String storedName) {
        return PendingUploads.clientName(storedName);
    }

    /**
     * How much the upload of {@code path} (as {@link #resolve} answered it) in progress or interrupted holds, whether
     * or not a file of that name exists; empty when there is no upload that {@link #openUpload} would continue
     * (without one, an open without {@code truncate} appends to the file). Cheap: the last segments are not
     * checked, so the open may continue from less ({@link Upload#startSize()} says).
     */
    OptionalLong pendingSize(Path path) throws IOException;

    /** The size a client sees: plaintext bytes of a file, or what a pending upload can be resumed from. */
    long size(Path path) throws IOException;

    /**
     * What a client sees of a file or directory (links are not followed).
     *
     * @param size plaintext bytes of a file, what a pending upload can be resumed from, or a directory's stored size
     */
    record Stat(boolean directory, boolean regularFile, long size, FileTime lastModified) {
    }

    /** The kind, size and time a client sees of {@code path}; {@link java.nio.file.NoSuchFileException} if none. */
    Stat stat(Path path) throws IOException;

    /**
     * Sets the modification time of a file, a directory or a pending upload (a client may set it before closing; a
     * pending upload's time is never set past now, since abandoned uploads are swept by age).
     */
    void setLastModified(Path path, FileTime time) throws IOException;

    /**
     * Reads a complete file's plaintext, at any position, with the SHA-256 kept from its upload when the storage
     * has one that still holds ({@link StoredContent#recordedSha256()}).
     */
    StoredContent openRead(Path path) throws IOException;

    /**
     * Starts or resumes an upload. Nothing is visible under the path until {@link Upload#complete()}.
     *
     * @param truncate  start from nothing (a new upload or a replacement); otherwise continue a pending upload of
     *                  the path, or append to the existing file
     * @param exclusive fail if the file already exists
     */
    Upload openUpload(Path path, boolean truncate, boolean exclusive) throws IOException;

    /** Deletes a file, a pending upload, or a directory that holds nothing a client can see. */
    void delete(Path path) throws IOException;

    /** Creates a directory (dropping a pending upload of that name). */
    void createDirectory(Path path) throws IOException;

    /** Renames a file or directory (replacing a pending upload at the destination); pending uploads cannot be renamed. */
    void rename(Path from, Path to, CopyOption... options) throws IOException;

    /** The account's limits and what it uses now. */
    Quota quota();

    UsageTracker.Usage usage() throws IOException;

    /**
     * The space the account sees as its file system: its quota and what is left of it, or the storage's own size
     * and free space where it has no byte quota (and, with a file quota, the files it may keep; 0 without one).
     */
    record Space(long totalBytes, long freeBytes, long totalFiles, long freeFiles) {
    }

    Space space() throws IOException;
}
