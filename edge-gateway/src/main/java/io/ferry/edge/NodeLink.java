package io.ferry.edge;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;

/**
 * A partner's file session on a node, as the partner's session at the edge holds it: opened with the ticket the login
 * earned, and, when that node dies, opened again on another node that serves partners with the grant the login
 * earned too ({@link #failover}); the channels relayed on it then carry over their files themselves
 * ({@link SftpChannelRelay}). One link per partner session: its channels share the session it holds, and a failover
 * that one channel started is the one the others wait for.
 */
final class NodeLink {

    private static final Logger log = LoggerFactory.getLogger(NodeLink.class);
    /** Set on a node's session it ended for good (the disconnect's description): never carried over. */
    static final AttributeKey<String> ENDED_FOR_GOOD = new AttributeKey<>();
    /** How long a failover waits before asking the nodes again when none took the session. */
    private static final long RETRY_MILLIS = 250;
    /** How long the node whose session died is asked last, behind the others: it may only look alive. */
    private static final long DEAD_FOR_MILLIS = 5_000;

    private final Backends backends;
    private final String username;
    private final String address;
    private final String grant;
    private final Duration patience;
    private final Consumer<ClientSession> onOpen;
    private Backend backend;
    private String ticket;
    private volatile ClientSession session;
    private volatile boolean closed;

    /**
     * @param patience how long a failover may take (no node serving: in active-passive mode, until the new primary
     *                 serves); zero: the link never fails over
     * @param onOpen   told of every session the link opens (the first, and each failover's)
     */
    NodeLink(Backends backends, Backend backend, String ticket, String grant, String username, String address,
            Duration patience, Consumer<ClientSession> onOpen) {
        this.backends = backends;
        this.backend = backend;
        this.ticket = ticket;
        this.grant = grant;
        this.username = username;
        this.address = address;
        this.patience = patience;
        this.onOpen = onOpen;
    }

    /**
     * The session on the node, opened with the login's ticket the first time; one that died since (while the partner
     * had no channel open to notice) is carried over now.
     */
    synchronized ClientSession session() throws IOException {
        if (session != null && session.isOpen()) {
            return session;
        }
        if (!closed && ticket == null && session != null) {
            return failover(session);
        }
        if (closed || ticket == null) {
            throw new IOException(closed ? "the partner's session closed" : "the node's session ended");
        }
        String once = ticket;
        ticket = null;
        return opened(backend, backend.fileSession(once));
    }

    /** Whether a session that ended may be opened again elsewhere. */
    boolean canFailOver() {
        return grant != null && !patience.isZero() && !patience.isNegative();
    }

    /**
     * The session after {@code dead} ended: the one another channel's failover already opened, or a new one on a
     * node that takes the grant, tried in routing order (the node that died last) until {@code patience} runs out.
     *
     * @throws IOException when no node took the session in time, the grant was refused, or the partner left
     */
    synchronized ClientSession failover(ClientSession dead) throws IOException {
        if (session != null && session != dead && session.isOpen()) {
            return session;
        }
        if (!canFailOver()) {
            throw new IOException("the node's session ended");
        }
        String ended = dead.getAttribute(ENDED_FOR_GOOD);
        if (ended != null) {
            throw new IOException("the node ended the session (" + ended + ")");
        }
        Backend died = backend;
        long started = System.nanoTime();
        long deadline = started + patience.toNanos();
        String refused = null;
        while (!closed) {
            boolean deadIsLast = System.nanoTime() - started < DEAD_FOR_MILLIS * 1_000_000L;
            for (Backend next : order(died, deadIsLast)) {
                try {
                    Properties request = new Properties();
                    request.setProperty("grant", grant);
                    Properties answer = next.request("resume", request);
                    if (!"true".equals(answer.getProperty("ok"))) {
                        String reason = answer.getProperty("reason", "refused");
                        if (!"not-serving".equals(reason)) {
                            refused = reason;
                            break; // the cluster's answer (banned, denied) is the same on every node
                        }
                        continue;
                    }
                    ClientSession resumed = next.fileSession(answer.getProperty("ticket"));
                    log.info("The session of {} from {} moved from node {} to node {} in {} ms",
                            LogText.quoted(username), address, died.name(), next.name(),
                            (System.nanoTime() - started) / 1_000_000);
                    return opened(next, resumed);
                } catch (IOException | RuntimeException e) {
                    log.debug("Node {} did not take the session of {}: {}", next.address(), LogText.quoted(username),
                            e.toString());
                }
            }
            if (refused != null) {
                throw new IOException("the cluster refused to carry the session over (" + refused + ")");
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("no node took the session within " + patience);
            }
            try {
                wait(RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while carrying the session over");
            }
        }
        throw new IOException("the partner's session closed");
    }

    /** The nodes to ask, in routing order; the one that died last for a while (it may only look alive yet). */
    private List<Backend> order(Backend died, boolean deadIsLast) {
        List<Backend> ordered = new ArrayList<>(backends.candidates(address));
        if (deadIsLast && ordered.remove(died)) {
            ordered.add(died);
        }
        return ordered;
    }

    private ClientSession opened(Backend on, ClientSession opened) throws IOException {
        on.relayed().incrementAndGet();
        opened.addCloseFutureListener(f -> on.relayed().decrementAndGet());
        if (closed) {
            opened.close(true);
            throw new IOException("the partner's session closed");
        }
        backend = on;
        session = opened;
        onOpen.accept(opened);
        return opened;
    }

    /** Whether the partner's session closed (nothing is carried over any more). */
    boolean closed() {
        return closed;
    }

    /** The node serving the session now. */
    synchronized Backend backend() {
        return backend;
    }

    /** The partner's session closed: the node's closes too, and no failover opens another. */
    void close() {
        closed = true; // never waits for a failover under way: it sees this within a retry, and closes what it opened
        ClientSession open = session;
        if (open != null) {
            open.close(false);
        }
    }
}
