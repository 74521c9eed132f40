package io.ferry.storage;

/** The shared storage is missing or not writable (see {@link StorageHealth}). */
public class StorageUnavailableException extends StorageException {

    public StorageUnavailableException(String message) {
        super(message);
    }

    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
