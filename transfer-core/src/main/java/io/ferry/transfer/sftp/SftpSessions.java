package io.ferry.transfer.sftp;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.session.SessionListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import io.ferry.common.LogText;
import io.ferry.transfer.session.TransferOrigin;


/**
 * What Ferry keeps on an SSH session: its id, the client address, and once authenticated the account and its jail.
 * Also puts them in the logging MDC ({@code protocol}, {@code session}, {@code client}, {@code account}) on the
 * threads that work for the session.
 */
final class SftpSessions implements SessionListener {

    static final String PROTOCOL = "sftp";
    static final AttributeKey<String> SESSION_ID = new AttributeKey<>();
    static final AttributeKey<java.time.Instant> STARTED = new AttributeKey<>();
    /** Set once authentication succeeded. */
    static final AttributeKey<SessionAccount> ACCOUNT = new AttributeKey<>();
    /** The edge gateway that logged in (internal listener only). */
    static final AttributeKey<String> EDGE = new AttributeKey<>();
    /** The partner's own address, from the ticket its edge redeemed (internal listener only). */
    static final AttributeKey<String> PARTNER_ADDRESS = new AttributeKey<>();
    /** The protocol the partner speaks to the edge when it is not SFTP (an FTPS session the edge bridges). */
    static final AttributeKey<String> PARTNER_PROTOCOL = new AttributeKey<>();
    /** An edge's file session carried over to this node from one that died (issue 23). */
    static final AttributeKey<Boolean> CARRIED_OVER = new AttributeKey<>();

    private static final Logger log = LoggerFactory.getLogger(SftpSessions.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    @Override
    public void sessionCreated(Session session) {
        session.setAttribute(SESSION_ID, newSessionId());
        session.setAttribute(STARTED, java.time.Instant.now());
        withMdc(session, () -> log.info("Connection from {}", clientAddress(session)));
    }

    @Override
    public void sessionClosed(Session session) {
        withMdc(session, () -> log.info("Session closed"));
    }

    /** A new session id: 12 hex digits, random (the edges make theirs the same way). */
    static String newSessionId() {
        byte[] id = new byte[6];
        RANDOM.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    /**
     * Whether a text has the form of a session id: 12 hex digits (SFTP), or the first 12 characters of FtpServer's
     * session UUID (FTPS, a dash among them). What an edge says its session is called is checked so.
     */
    static boolean isSessionId(String text) {
        return text.length() == 12
                && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-');
    }

    static String sessionId(SessionContext session) {
        String id = session.getAttribute(SESSION_ID);
        return id == null ? "-" : id;
    }

    /** The partner's address: the socket's peer, or for a session an edge relays, the partner behind the edge. */
    static String clientAddress(SessionContext session) {
        String partner = session.getAttribute(PARTNER_ADDRESS);
        if (partner != null) {
            return partner;
        }
        SocketAddress address = session.getRemoteAddress();
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return String.valueOf(address);
    }

    /** Sets the MDC of the current thread for this session; the SFTP subsystem thread keeps it for its lifetime. */
    static void putMdc(SessionContext session) {
        MDC.put("protocol", PROTOCOL);
        MDC.put("session", sessionId(session));
        MDC.put("client", clientAddress(session));
        SessionAccount account = session.getAttribute(ACCOUNT);
        String username = account != null ? account.username() : loginName(session);
        if (username != null) {
            MDC.put("account", LogText.escaped(username)); // the name a client sent, before any login
        } else {
            MDC.remove("account");
        }
    }

    /** The name the client logged in with; for an edge, without the one-time ticket that follows its name. */
    static String loginName(SessionContext session) {
        String username = session.getUsername();
        if (username != null && username.startsWith(EdgeListener.EDGE_PREFIX)) {
            int ticket = username.indexOf(':', EdgeListener.EDGE_PREFIX.length());
            return ticket < 0 ? username : username.substring(0, ticket);
        }
        return username;
    }

    /** Who a transfer is for, as the transfer log records it. */
    static TransferOrigin origin(SessionContext session) {
        SessionAccount account = session.getAttribute(ACCOUNT);
        return new TransferOrigin(protocol(session), sessionId(session),
                account == null ? String.valueOf(loginName(session)) : account.username(), clientAddress(session),
                edge(session), null);
    }

    /** Whether an edge carried this session over to this node from one that died. */
    static boolean carriedOver(SessionContext session) {
        return Boolean.TRUE.equals(session.getAttribute(CARRIED_OVER));
    }

    /** The protocol the partner used: {@code sftp}, or {@code ftps} for an FTPS session an edge bridges. */
    static String protocol(SessionContext session) {
        String bridged = session.getAttribute(PARTNER_PROTOCOL);
        return bridged == null ? PROTOCOL : bridged;
    }

    /** The edge that relays this session, or null. */
    static String edge(SessionContext session) {
        return session.getAttribute(EDGE);
    }

    static void clearMdc() {
        MDC.remove("protocol");
        MDC.remove("session");
        MDC.remove("client");
        MDC.remove("account");
    }

    /** Runs with the session's MDC on a shared I/O thread, and leaves that thread's MDC clean. */
    static void withMdc(SessionContext session, Runnable action) {
        putMdc(session);
        try {
            action.run();
        } finally {
            clearMdc();
        }
    }
}
