package io.ferry.transfer.log;

/**
 * Told of the transfer log's rows (MINA's {@code SftpEventListener} is the model: no-op defaults, implement what you
 * need). Registered with {@link TransferLog#addListener}.
 */
public interface TransferListener {

    /**
     * A file arrived whole (an upload, or a file Ferry took in itself), inside the transaction that records it: what
     * the listener writes (the routes' work items) commits with the row, before the client hears of its upload, or
     * not at all.
     */
    default void arrived(TransferRecord row) {
    }

    /** Any row, once its transaction committed (metrics). */
    default void recorded(TransferRecord row) {
    }
}
