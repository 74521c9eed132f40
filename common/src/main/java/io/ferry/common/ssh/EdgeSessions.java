package io.ferry.common.ssh;

/**
 * What a node and an edge agree on about a partner's file session on the node (issue 23): a node that ends one for
 * good (an administrator closed it, the account changed) disconnects it with a description that begins with
 * {@link #FINAL}, and the edge then ends the partner's session instead of carrying it over to another node, as it
 * does when a node dies.
 */
public final class EdgeSessions {

    /** How the description of a disconnect the edge must not carry over begins. */
    public static final String FINAL = "final: ";

    private EdgeSessions() {
    }

    /** Whether a node's disconnect description says the session ended for good. */
    public static boolean isFinal(String description) {
        return description != null && description.startsWith(FINAL);
    }
}
