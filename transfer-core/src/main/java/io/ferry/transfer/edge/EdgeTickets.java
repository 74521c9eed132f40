package io.ferry.transfer.edge;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-time tickets a node gives an edge after it checked a partner's credentials: the edge opens the partner's file
 * session with the ticket, so the node serves files only to partners it authenticated itself, and learns the
 * partner's real address from its own record, not from the edge's word at the file session. A ticket is bound to
 * the edge that asked for it, valid for {@link #TTL}, and used once. Tickets live in this node's memory only: the
 * edge opens the file session on the node that issued it.
 */
public final class EdgeTickets {

    public static final Duration TTL = Duration.ofSeconds(30);

    /**
     * What a ticket stands for.
     *
     * @param protocol    what the partner speaks to the edge: {@code sftp}, or {@code ftps} for a session it bridges
     * @param method      how the node checked the partner: {@code password} or {@code publickey}
     * @param edgeSession the id of the partner's session at the edge (the node's file session takes it, so one id
     *                    follows the session through both logs and the transfer log); null if the edge gave none
     */
    public record Ticket(String edge, String account, String clientAddress, String protocol, String method,
            String edgeSession, Instant expires, boolean carriedOver) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Map<String, Ticket> tickets = new ConcurrentHashMap<>();
    private final Clock clock;

    public EdgeTickets(Clock clock) {
        this.clock = clock;
    }

    public String issue(String edge, String account, String clientAddress, String protocol, String method,
            String edgeSession) {
        return issue(edge, account, clientAddress, protocol, method, edgeSession, false);
    }

    /** A ticket; {@code carriedOver}: for a session an edge carries over from a node that died ({@link EdgeGrants}). */
    public String issue(String edge, String account, String clientAddress, String protocol, String method,
            String edgeSession, boolean carriedOver) {
        Instant now = clock.instant();
        tickets.values().removeIf(t -> t.expires().isBefore(now));
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        tickets.put(id, new Ticket(edge, account, clientAddress, protocol, method, edgeSession,
                now.plus(TTL), carriedOver));
        return id;
    }

    /** What a ticket just issued stands for (it stays unredeemed). */
    public Ticket peek(String id) {
        return tickets.get(id);
    }

    /** The ticket, if it exists, is unexpired and was issued to this edge; it cannot be used again. */
    public Optional<Ticket> redeem(String edge, String id) {
        if (id == null) {
            return Optional.empty();
        }
        Ticket ticket = tickets.get(id);
        // another edge cannot even spend it
        if (ticket == null || !ticket.edge().equals(edge) || !tickets.remove(id, ticket)
                || ticket.expires().isBefore(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(ticket);
    }

    int size() {
        return tickets.size();
    }
}
