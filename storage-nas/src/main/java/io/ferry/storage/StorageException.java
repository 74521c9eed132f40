package io.ferry.storage;

import java.io.IOException;

/**
 * A refusal by the storage whose message is meant for the client (a full quota, the storage being down, a write
 * out of order). Protocols pass the message on: an SFTP status message, an FTP reply text.
 */
public class StorageException extends IOException {

    public StorageException(String message) {
        super(message);
    }

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
