package io.ferry.storage;

import java.io.IOException;

/** An upload would take the account over its quota; the partial upload has been removed. */
public class QuotaExceededException extends IOException {

    public QuotaExceededException(String message) {
        super(message);
    }
}
