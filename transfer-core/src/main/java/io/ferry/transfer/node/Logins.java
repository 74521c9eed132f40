package io.ferry.transfer.node;

/**
 * Told of every partner login a listener decides, for the operators' meters ({@code ferry_logins_total}). A public
 * key a client merely offers and the node does not know is not a decision (clients try each key they have). A
 * success is counted once the session is in (for an edge, when it redeems the node's ticket), not when MINA first
 * asks about a key, before its signature is checked. A banned address is the defender's count.
 */
@FunctionalInterface
public interface Logins {

    /** How a login ended. */
    enum Outcome {
        /** In: the session is the account's. */
        SUCCESS,
        /** Wrong user name or password. */
        FAILURE,
        /** Right credentials, but not let in: the address is not allowed, or the storage or home is unavailable. */
        REFUSED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param protocol what the partner speaks: {@code sftp} or {@code ftps} (also through an edge)
     * @param method   {@code password} or {@code publickey}
     */
    void decided(String protocol, String method, Outcome outcome);

    /**
     * A connection a listener's door refused before any login.
     *
     * @param reason {@code banned}, {@code max-sessions}, {@code max-per-address}, {@code rate} or {@code startups}
     */
    default void refused(String protocol, String reason) {
    }

    /** Nobody is told (listeners built by hand in tests). */
    Logins NONE = (protocol, method, outcome) -> {
    };
}
