package io.ferry.storage;

import java.io.IOException;

/** The shared storage is missing or not writable (see {@link StorageHealth}). */
public class StorageUnavailableException extends IOException {

    public StorageUnavailableException(String message) {
        super(message);
    }
}
