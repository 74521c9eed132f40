package io.ferry.transfer.node;

/** A listener's live partner sessions on this node, as a drain sees them. */
public interface SessionHost {

    /** Sessions open now. */
    int activeSessions();

    /** Closes every open session (a drain whose time ran out). */
    void closeAll(String reason);

    /** The sessions open now. */
    java.util.List<SessionInfo> sessions();

    /** Closes the session with this id if this listener holds it. */
    boolean closeSession(String id, String reason);

    /** Closes the sessions of one account (disabled or deleted); how many there were. */
    int closeAccount(String username, String reason);
}
