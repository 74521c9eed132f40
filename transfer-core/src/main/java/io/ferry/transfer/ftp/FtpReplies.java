package io.ferry.transfer.ftp;

import org.apache.ftpserver.ftplet.FtpReply;

import io.ferry.transfer.session.TransferFailure;

/**
 * The FTP reply (RFC 959 codes) for each kind of {@link TransferFailure}: the one place FTP words a failed
 * transfer, so the storage's faults read the same whatever the verb.
 */
record FtpReplies(int code, String message) {

    static final FtpReplies COMPLETE = new FtpReplies(FtpReply.REPLY_226_CLOSING_DATA_CONNECTION, "Transfer complete");

    /** The reply for a transfer that failed with {@code e}; {@code resumeHint} says how to go on. */
    static FtpReplies of(Throwable e, String resumeHint) {
        TransferFailure why = TransferFailure.of(e);
        return switch (why.kind()) {
            case QUOTA -> new FtpReplies(FtpReply.REPLY_552_REQUESTED_FILE_ACTION_ABORTED_EXCEEDED_STORAGE,
                    "Quota exceeded: " + why.reason());
            case STORAGE_FULL -> new FtpReplies(FtpReply.REPLY_552_REQUESTED_FILE_ACTION_ABORTED_EXCEEDED_STORAGE,
                    "No space left on the storage; transfer aborted (" + resumeHint + " once there is room)");
            case STORAGE_READ_ONLY -> new FtpReplies(FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED,
                    "The storage is read-only; try again later (" + resumeHint + ")");
            case STORAGE_UNAVAILABLE -> new FtpReplies(FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED,
                    "Storage unavailable; try again later (" + resumeHint + ")");
            case TIMED_OUT -> new FtpReplies(FtpReply.REPLY_426_CONNECTION_CLOSED_TRANSFER_ABORTED,
                    "Data connection idle for too long; transfer aborted (" + resumeHint + ")");
            case CONNECTION_LOST -> new FtpReplies(FtpReply.REPLY_426_CONNECTION_CLOSED_TRANSFER_ABORTED,
                    "Connection closed; transfer aborted (" + resumeHint + ")");
            case STORAGE, OTHER -> new FtpReplies(FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED,
                    "Transfer failed: " + why.reason());
        };
    }
}
