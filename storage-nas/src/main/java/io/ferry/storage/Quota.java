package io.ferry.storage;

/**
 * An account's storage limits; 0 means unlimited.
 *
 * @param maxBytes bytes the account's files may take, counted as stored (encryption adds 23 bytes per 256 KiB)
 * @param maxFiles files the account may have
 */
public record Quota(long maxBytes, long maxFiles) {

    public static final Quota UNLIMITED = new Quota(0, 0);

    public Quota {
        if (maxBytes < 0 || maxFiles < 0) {
            throw new IllegalArgumentException("quota limits must be 0 (unlimited) or more");
        }
    }

    public boolean unlimited() {
        return maxBytes == 0 && maxFiles == 0;
    }
}
