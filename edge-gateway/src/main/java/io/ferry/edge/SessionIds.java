package io.ferry.edge;

import java.security.SecureRandom;
import java.util.HexFormat;

import org.slf4j.MDC;

/**
 * The id of a partner's session at this edge: 12 hex digits, in this edge's log lines ({@code session} in the MDC),
 * sent to the node with the login, and taken by the node's file session, so that the node's log lines and the
 * transfer log's {@code sessionId} carry the same id as the edge's.
 */
final class SessionIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private SessionIds() {
    }

    static String next() {
        byte[] id = new byte[6];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /** Runs {@code action} with the session's id, protocol and partner address in the logging MDC. */
    static void withMdc(String protocol, String session, String client, Runnable action) {
        put(protocol, session, client);
        try {
            action.run();
        } finally {
            clear();
        }
    }

    static void put(String protocol, String session, String client) {
        MDC.put("protocol", protocol);
        if (session != null) {
            MDC.put("session", session);
        }
        if (client != null) {
            MDC.put("client", client);
        }
    }

    static void clear() {
        MDC.remove("protocol");
        MDC.remove("session");
        MDC.remove("client");
    }
}
