package io.ferry.transfer.partner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * A partner's folder over one authenticated connection (SFTP or FTPS): what deliveries and pulls need, in the
 * partner's own names (relative to its remote folder). Implementations do not retry; closing ends the connection.
 */
interface RemoteFolder extends AutoCloseable {

    /** The regular files of the folder ({@code mtime} in epoch milliseconds, 0 when the server does not tell). */
    List<PartnerService.RemoteFile> list() throws IOException;

    /** The size of a file, or -1 when there is none of that name. */
    long size(String name) throws IOException;

    /**
     * Writes a new file (replacing one of that name); closing the stream completes it (on the server's stable storage
     * where the protocol can ask for that: SFTP's {@code fsync@openssh.com}), or throws.
     */
    OutputStream write(String name) throws IOException;

    /** Reads a file; closing the stream ends the read, and throws when the server reports it failed. */
    InputStream read(String name) throws IOException;

    /** Removes a file; false when there was none. */
    boolean remove(String name) throws IOException;

    /** Renames a file to a name no file has (a server refuses to rename over one, or may). */
    void rename(String from, String to) throws IOException;

    /**
     * Renames {@code from} to {@code to} in one step that replaces a file of that name, if the server has such a
     * step: how it was done (for the log); null when it has none or refuses to replace, and then both names are as
     * they were. Throws when the rename failed for another reason.
     */
    String renameReplacing(String from, String to) throws IOException;

    /** Whether the connection still looks usable (for the pool). */
    boolean isOpen();

    @Override
    void close() throws IOException;
}
