package io.ferry.transfer.session;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

import io.ferry.storage.QuotaExceededException;
import io.ferry.storage.StorageException;
import io.ferry.storage.StorageFullException;
import io.ferry.storage.StorageReadOnlyException;
import io.ferry.storage.StorageUnavailableException;
import io.ferry.transfer.log.Direction;

/**
 * Why a transfer failed, decided once for every protocol: its kind, which each protocol maps to its own reply (an
 * SFTP status, an FTP reply code), and the words for the transfer log and the client. The storage's own refusals
 * ({@link StorageException}) are recognised anywhere in the cause chain, so a wrapped "no space left" is still one.
 *
 * @param kind   what failed
 * @param reason the cause in words, safe to show the client (no stack, no server path)
 */
public record TransferFailure(Kind kind, String reason) {

    /** What failed, most specific first. */
    public enum Kind {
        /** The account's quota would be exceeded. */
        QUOTA("quota exceeded"),
        /** The file system under the storage is full. */
        STORAGE_FULL("storage full"),
        /** The storage refuses writes. */
        STORAGE_READ_ONLY("storage read-only"),
        /** The storage is missing or failed its probe. */
        STORAGE_UNAVAILABLE("storage unavailable"),
        /** The data connection or the session went away. */
        CONNECTION_LOST("data connection lost"),
        /** The data connection was idle for too long. */
        TIMED_OUT("data connection timed out"),
        /** Any other error of the storage. */
        STORAGE("storage error"),
        /** Anything else (a partner's refusal, a source that changed): the reason says it all. */
        OTHER("");

        private final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /** The failure behind {@code e}. */
    public static TransferFailure of(Throwable e) {
        StorageException storage = find(e, StorageException.class);
        if (storage != null) {
            Kind kind = find(e, QuotaExceededException.class) != null ? Kind.QUOTA
                    : find(e, StorageFullException.class) != null ? Kind.STORAGE_FULL
                    : find(e, StorageReadOnlyException.class) != null ? Kind.STORAGE_READ_ONLY
                    : find(e, StorageUnavailableException.class) != null ? Kind.STORAGE_UNAVAILABLE
                    : Kind.STORAGE;
            return new TransferFailure(kind, describe(storage));
        }
        if (find(e, ClientGone.class) != null) {
            return new TransferFailure(Kind.OTHER, describe(find(e, ClientGone.class)));
        }
        if (find(e, SocketTimeoutException.class) != null) {
            return new TransferFailure(Kind.TIMED_OUT, describe(e));
        }
        if (find(e, SocketException.class) != null) {
            return new TransferFailure(Kind.CONNECTION_LOST, describe(e));
        }
        return new TransferFailure(Kind.OTHER, describe(e));
    }

    /** The transfer log's error column: the kind, then the reason. */
    public String logMessage() {
        return kind.label.isEmpty() || reason.startsWith(kind.label) ? reason : kind.label + ": " + reason;
    }

    /**
     * The failure as a transfer in {@code direction} reports it: for Ferry's own work (a delivery, a pull) a broken
     * connection is the partner's, and its words stand alone (there is no data connection to speak of).
     */
    public TransferFailure as(Direction direction) {
        boolean ownWork = direction == Direction.OUTBOUND
                || direction == Direction.INBOUND;
        return ownWork && (kind == Kind.CONNECTION_LOST || kind == Kind.TIMED_OUT)
                ? new TransferFailure(Kind.OTHER, reason) : this;
    }

    /** An SFTP file still open when its session ended: the client is gone, nobody is told. */
    public static final class ClientGone extends IOException {
        public ClientGone(String message) {
            super(message);
        }
    }

    static String describe(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
