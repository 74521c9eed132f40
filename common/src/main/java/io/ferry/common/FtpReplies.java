package io.ferry.common;

/**
 * The FTP reply (RFC 959 codes) for each {@link FailureKind}: the one place FTP words a failed transfer, on the node
 * and at the edge alike.
 *
 * @param code    the reply code
 * @param message the reply text
 */
public record FtpReplies(int code, String message) {

    /** {@code 226}: the transfer completed. */
    public static final FtpReplies COMPLETE = new FtpReplies(226, "Transfer complete");

    /**
     * The reply for a transfer that failed.
     *
     * @param reason     the cause in words safe for the client
     * @param resumeHint how the client goes on ("resume with REST or APPE")
     */
    public static FtpReplies of(FailureKind kind, String reason, String resumeHint) {
        return switch (kind) {
            case QUOTA -> new FtpReplies(552, reason.regionMatches(true, 0, kind.words(), 0, kind.words().length())
                    ? "Q" + reason.substring(1) : "Quota exceeded: " + reason);
            case STORAGE_FULL -> new FtpReplies(552, "No space left on the storage; transfer aborted (" + resumeHint
                    + " once there is room)");
            case STORAGE_READ_ONLY -> new FtpReplies(451, "The storage is read-only; try again later (" + resumeHint
                    + ")");
            case STORAGE_UNAVAILABLE -> new FtpReplies(451, "Storage unavailable; try again later (" + resumeHint
                    + ")");
            case TIMED_OUT -> new FtpReplies(426, "Data connection idle for too long; transfer aborted (" + resumeHint
                    + ")");
            case CONNECTION_LOST -> new FtpReplies(426, "Connection closed; transfer aborted (" + resumeHint + ")");
            case STORAGE, OTHER -> new FtpReplies(451, "Transfer failed: " + reason);
        };
    }
}
