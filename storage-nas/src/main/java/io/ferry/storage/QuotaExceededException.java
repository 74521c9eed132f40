package io.ferry.storage;


/** An upload would take the account over its quota; the partial upload has been removed. */
public class QuotaExceededException extends StorageException {

    public QuotaExceededException(String message) {
        super(message);
    }
}
