package io.ferry.transfer.session;

import java.io.IOException;
import java.nio.file.FileSystemException;

import io.ferry.common.FailureKind;
import io.ferry.storage.QuotaExceededException;
import io.ferry.storage.StorageException;
import io.ferry.storage.StorageFullException;
import io.ferry.storage.StorageReadOnlyException;
import io.ferry.storage.StorageUnavailableException;
import io.ferry.transfer.log.Direction;

/**
 * Why a transfer failed, decided once for every protocol: its {@link FailureKind}, which each protocol maps to its own
 * reply (an SFTP status, {@link io.ferry.common.FtpReplies}), and the words for the transfer log and the client. The storage's own refusals
 * ({@link StorageException}) are recognised anywhere in the cause chain, so a wrapped "no space left" is still one.
 *
 * @param kind   what failed
 * @param reason the cause in words, safe to show the client (no stack, no server path)
 */
public record TransferFailure(FailureKind kind, String reason) {

    /** The failure behind {@code e}. */
    public static TransferFailure of(Throwable e) {
        StorageException storage = find(e, StorageException.class);
        if (storage != null) {
            FailureKind kind = find(e, QuotaExceededException.class) != null ? FailureKind.QUOTA
                    : find(e, StorageFullException.class) != null ? FailureKind.STORAGE_FULL
                    : find(e, StorageReadOnlyException.class) != null ? FailureKind.STORAGE_READ_ONLY
                    : find(e, StorageUnavailableException.class) != null ? FailureKind.STORAGE_UNAVAILABLE
                    : FailureKind.STORAGE;
            return new TransferFailure(kind, describe(storage));
        }
        if (find(e, ClientGone.class) != null) {
            return new TransferFailure(FailureKind.OTHER, describe(find(e, ClientGone.class)));
        }
        FailureKind connection = FailureKind.ofConnection(e);
        if (connection != null) {
            return new TransferFailure(connection, describe(e));
        }
        return new TransferFailure(FailureKind.OTHER, describe(e));
    }

    /** The transfer log's error column: the kind, then the reason. */
    public String logMessage() {
        return kind.label().isEmpty() || reason.startsWith(kind.label()) ? reason : kind.label() + ": " + reason;
    }

    /**
     * The failure as a transfer in {@code direction} reports it: for Ferry's own work (a delivery, a pull) a broken
     * connection is the partner's, and its words stand alone (there is no data connection to speak of).
     */
    public TransferFailure as(Direction direction) {
        boolean ownWork = direction == Direction.OUTBOUND
                || direction == Direction.INBOUND;
        return ownWork && (kind == FailureKind.CONNECTION_LOST || kind == FailureKind.TIMED_OUT)
                ? new TransferFailure(FailureKind.OTHER, reason) : this;
    }

    /**
     * An upload whose transfer-log row could not be committed (the database is away): not published, kept for a
     * resume; its message is for the client.
     */
    public static final class NotRecorded extends IOException {
        /** Without its cause: the database's socket errors in it would read as the client's connection failing. */
        public NotRecorded() {
            super("the upload could not be recorded (the transfer log is unavailable), so it was not published; it is "
                    + "kept: resume it or send it again");
        }
    }

    /** An SFTP file still open when its session ended: the client is gone, nobody is told. */
    public static final class ClientGone extends IOException {
        public ClientGone(String message) {
            super(message);
        }
    }

    /**
     * The cause in words a client may read: a file-system exception's reason only, never its paths (they are the
     * NAS's local paths); any other exception's message.
     */
    static String describe(Throwable e) {
        if (e instanceof FileSystemException fs) {
            return fs.getReason() != null ? fs.getReason() : e.getClass().getSimpleName();
        }
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
