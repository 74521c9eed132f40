package io.ferry.storage;

/** The file system under the storage refuses writes (EROFS: mounted or turned read-only); reading still works. */
public class StorageReadOnlyException extends StorageException {

    public StorageReadOnlyException(String message, Throwable cause) {
        super(message, cause);
    }
}
