package io.ferry.common;

import java.util.Locale;

/**
 * Why a transfer failed, in the terms node and edge share: the storage's refusals are told to the client in fixed
 * words (an SFTP status message, an FTP reply), and an edge that relays a node's answer recognises the kind by them
 * ({@link #fromWords}). Most specific first.
 */
public enum FailureKind {
    /** The account's quota would be exceeded. */
    QUOTA("quota exceeded", "quota exceeded"),
    /** The file system under the storage is full. */
    STORAGE_FULL("storage full", "no space left on the storage"),
    /** The storage refuses writes. */
    STORAGE_READ_ONLY("storage read-only", "the storage is read-only"),
    /** The storage is missing or failed its probe. */
    STORAGE_UNAVAILABLE("storage unavailable", "storage unavailable"),
    /** The data connection or the session went away. */
    CONNECTION_LOST("data connection lost", null),
    /** The data connection was idle for too long. */
    TIMED_OUT("data connection timed out", null),
    /** Any other error of the storage. */
    STORAGE("storage error", null),
    /** Anything else (a partner's refusal, a source that changed): the reason says it all. */
    OTHER("", null);

    private final String label;
    private final String words;

    FailureKind(String label, String words) {
        this.label = label;
        this.words = words;
    }

    /** What starts the transfer log's error for this kind ({@code quota exceeded: ...}); empty for {@link #OTHER}. */
    public String label() {
        return label;
    }

    /** The words a client is told for this refusal of the storage; null for the kinds that have none. */
    public String words() {
        return words;
    }

    /**
     * {@link #TIMED_OUT} or {@link #CONNECTION_LOST} when a socket broke anywhere in {@code e}'s causes; null
     * otherwise. The one place a broken connection is told from other failures, on the node and at the edge.
     */
    public static FailureKind ofConnection(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.net.SocketTimeoutException) {
                return TIMED_OUT;
            }
            if (cause instanceof java.net.SocketException) {
                return CONNECTION_LOST;
            }
        }
        return null;
    }

    /** The kind whose words a message carries (a node's SFTP status, relayed by an edge); {@link #OTHER} if none. */
    public static FailureKind fromWords(String message) {
        if (message != null) {
            String text = message.toLowerCase(Locale.ROOT);
            for (FailureKind kind : values()) {
                if (kind.words != null && text.contains(kind.words)) {
                    return kind;
                }
            }
        }
        return OTHER;
    }
}
