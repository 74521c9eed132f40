package io.ferry.edge;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A partner's login at the edge, for SFTP and FTPS alike: always checked by a node, before any file session. The
 * door's ban comes first; then the nodes that serve partners are asked in routing order (the next when one does not
 * answer or stopped serving); the one that accepts answers with a one-time ticket for the partner's file session on
 * it. A ban the cluster answers with is kept at the door, and a refused password counts at the door. Each protocol
 * only maps the {@link Verdict} to its own way of saying it.
 */
final class NodeLogins {

    private static final Logger log = LoggerFactory.getLogger(NodeLogins.class);
    /** How long the door keeps a ban whose end a node did not say (an older node, or a garbled answer). */
    private static final Duration UNSAID_BAN = Duration.ofMinutes(15);

    /** What became of a login. */
    sealed interface Verdict {
    }

    /**
     * A node accepted: the partner's file session opens on it with the ticket; the grant carries the session to
     * another node if that one dies ({@link NodeLink}), null from a node that gives none.
     */
    record Admitted(Backend backend, String ticket, String grant) implements Verdict {
    }

    /** The credential was refused; {@code closeNow}: the door has counted enough failures to drop the connection. */
    record Refused(boolean closeNow) implements Verdict {
    }

    /** The address is banned, at the door or by the cluster. */
    record Banned() implements Verdict {
    }

    /** No node serves partners now. */
    record NoNode() implements Verdict {
    }

    private final Backends backends;
    private final Door door;
    private final MeterRegistry meters;

    NodeLogins(Backends backends, Door door, MeterRegistry meters) {
        this.backends = backends;
        this.door = door;
        this.meters = meters;
    }

    /**
     * Checks a login with the nodes.
     *
     * @param request      the credential ({@code password} or {@code publicKey}) and what the node should know
     *                     ({@code session}, {@code protocol}); the user name and address are added here
     * @param method       the metrics' name of the credential: {@code password} or {@code publickey}
     * @param how          how the log names the login, e.g. {@code FTPS password}
     * @param countFailure whether a refusal counts at the door (a public key a client merely offers does not:
     *                     clients try each key they hold)
     */
    Verdict check(String username, String address, Properties request, String method, String how,
            boolean countFailure) {
        if (door.banned(address)) {
            return new Banned();
        }
        request.setProperty("username", username);
        request.setProperty("address", address);
        List<Backend> candidates = backends.candidates(address);
        for (Backend backend : candidates) {
            Properties answer;
            try {
                answer = backend.request("auth", request);
            } catch (IOException e) {
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "failed").increment();
                log.warn("Node {} did not authenticate {}: {}; trying the next", backend.address(),
                        LogText.quoted(username), e.getMessage());
                continue;
            }
            if ("true".equals(answer.getProperty("ok"))) {
                meters.counter("ferry.edge.auth", "method", method, "outcome", "success").increment();
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "chosen").increment();
                log.info("{} from {} authenticated ({}) by node {}", LogText.quoted(username), address, how,
                        backend.name());
                return new Admitted(backend, answer.getProperty("ticket"), answer.getProperty("grant"));
            }
            String reason = answer.getProperty("reason");
            if ("not-serving".equals(reason)) {
                continue; // stopped serving since its last status: ask the next
            }
            if ("banned".equals(reason)) {
                door.bannedUntil(address, until(answer.getProperty("until")));
                meters.counter("ferry.edge.auth", "method", method, "outcome", "banned").increment();
                log.info("{} from {} refused: the cluster banned the address", LogText.quoted(username), address);
                return new Banned();
            }
            meters.counter("ferry.edge.auth", "method", method, "outcome", "failure").increment();
            if (!countFailure) {
                return new Refused(false);
            }
            log.info("Authentication ({}) of {} from {} failed", how, LogText.quoted(username), address);
            return new Refused(door.failed(address));
        }
        meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
        log.warn("No node serves partners now: {} from {} is turned away", LogText.quoted(username), address);
        return new NoNode();
    }

    /** The end of a ban as a node said it (epoch milliseconds); unsaid or garbled: {@link #UNSAID_BAN} from now. */
    private static Instant until(String epochMillis) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(epochMillis));
        } catch (NumberFormatException e) {
            return Instant.now().plus(UNSAID_BAN);
        }
    }
}
