package io.ferry.transfer.log;

/** How a transfer ended. */
public enum Outcome {
    /** All bytes were moved; for an upload, they are on stable storage. */
    SUCCESS,
    /** The transfer stopped early: a dropped connection, a refused or failed write, a storage error. */
    FAILED;

    /** A filter's value, {@code success} or {@code failed} in any case; null or blank is no filter (null). */
    public static Outcome parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("status must be 'success' or 'failed'");
        }
    }
}
