package io.ferry.storage;

/** The file system under the storage has no room left (ENOSPC, EDQUOT): nothing more can be written until it has. */
public class StorageFullException extends StorageException {

    public StorageFullException(String message, Throwable cause) {
        super(message, cause);
    }
}
