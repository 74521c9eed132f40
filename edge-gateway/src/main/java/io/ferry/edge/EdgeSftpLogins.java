package io.ferry.edge;

import java.io.IOException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * A partner's SFTP login at the edge, for {@link EdgeSftpServer}'s password and public-key authenticators: always
 * checked by a node, before any file session. The nodes that serve partners are asked in routing order (the next
 * when one does not answer or stopped serving); the one that accepts answers with a one-time ticket, kept on the
 * session as its {@link Admission}, with which {@link SftpRelay} opens the partner's file session on that node. The
 * door's bans and failure count apply, and a ban the cluster answers with is kept at the door.
 */
final class EdgeSftpLogins {

    private static final Logger log = LoggerFactory.getLogger(EdgeSftpLogins.class);

    /** The node and ticket a partner's login earned. */
    record Admission(Backend backend, String ticket, String username, String keyFingerprint) {
    }

    static final AttributeKey<Admission> ADMISSION = new AttributeKey<>();

    private final Backends backends;
    private final Door door;
    private final MeterRegistry meters;
    private final ExecutorService workers;

    /** @param workers where a password login waits for the node's answer (MINA takes it asynchronously) */
    EdgeSftpLogins(Backends backends, Door door, MeterRegistry meters, ExecutorService workers) {
        this.backends = backends;
        this.door = door;
        this.meters = meters;
        this.workers = workers;
    }

    boolean password(String username, String password, ServerSession session) {
        AsyncAuthException result = new AsyncAuthException();
        workers.execute(() -> {
            boolean accepted;
            try {
                Properties request = new Properties();
                request.setProperty("password", password);
                accepted = admit(session, username, request, "password", null);
            } catch (RuntimeException e) {
                log.error("Authentication of '{}' failed with an error", username, e);
                accepted = false;
            }
            result.setAuthed(accepted);
        });
        throw result;
    }

    /**
     * Runs on an I/O thread (MINA takes no asynchronous answer here); MINA asks twice for a key it accepts, first
     * for the key alone, then with the signature, so the node's answer to the first is kept for the second.
     */
    boolean publicKey(String username, PublicKey key, ServerSession session) {
        String fingerprint = KeyUtils.getFingerPrint(key);
        Admission known = session.getAttribute(ADMISSION);
        if (known != null && fingerprint.equals(known.keyFingerprint()) && username.equals(known.username())) {
            return true;
        }
        Properties request = new Properties();
        request.setProperty("publicKey", PublicKeyEntry.toString(key));
        return admit(session, username, request, "publickey", fingerprint);
    }

    private boolean admit(ServerSession session, String username, Properties request, String method,
            String keyFingerprint) {
        SessionIds.put("sftp", session.getAttribute(EdgeSftpServer.SESSION),
                session.getAttribute(EdgeSftpServer.ADDRESS));
        try {
            return decide(session, username, request, method, keyFingerprint);
        } finally {
            SessionIds.clear();
        }
    }

    private boolean decide(ServerSession session, String username, Properties request, String method,
            String keyFingerprint) {
        String address = session.getAttribute(EdgeSftpServer.ADDRESS);
        String id = session.getAttribute(EdgeSftpServer.SESSION);
        if (id != null) {
            request.setProperty("session", id);
        }
        if (door.banned(address)) {
            session.close(true);
            return false;
        }
        request.setProperty("username", username);
        request.setProperty("address", address);
        List<Backend> candidates = backends.candidates(address);
        if (candidates.isEmpty()) {
            meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
            log.warn("No node serves partners now: '{}' from {} is turned away", username, address);
            disconnect(session, "no transfer node is available; please try again later");
            return false;
        }
        for (Backend backend : candidates) {
            Properties answer;
            try {
                answer = backend.request("auth", request);
            } catch (IOException e) {
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "failed").increment();
                log.warn("Node {} did not authenticate '{}': {}; trying the next", backend.address(), username,
                        e.getMessage());
                continue;
            }
            if ("true".equals(answer.getProperty("ok"))) {
                session.setAttribute(ADMISSION, new Admission(backend, answer.getProperty("ticket"), username,
                        keyFingerprint));
                meters.counter("ferry.edge.auth", "method", method, "outcome", "success").increment();
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "chosen").increment();
                log.info("'{}' from {} authenticated ({}) by node {}", username, address, method, backend.name());
                return true;
            }
            if ("not-serving".equals(answer.getProperty("reason"))) {
                continue; // stopped serving since its last status: ask the next
            }
            if ("banned".equals(answer.getProperty("reason"))) {
                door.bannedUntil(address, Instant.ofEpochMilli(Long.parseLong(answer.getProperty("until"))));
                meters.counter("ferry.edge.auth", "method", method, "outcome", "banned").increment();
                log.info("'{}' from {} refused: the cluster banned the address", username, address);
                disconnect(session, "too many failed logins");
                return false;
            }
            meters.counter("ferry.edge.auth", "method", method, "outcome", "failure").increment();
            if (keyFingerprint == null) {
                // a key a client merely offers is not a failure: clients try each key they have
                log.info("Authentication ({}) of '{}' from {} failed", method, username, address);
                if (door.failed(address)) {
                    disconnect(session, "too many failed logins");
                }
            }
            return false;
        }
        meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
        disconnect(session, "no transfer node is available; please try again later");
        return false;
    }

    private static void disconnect(ServerSession session, String message) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_SERVICE_NOT_AVAILABLE, message);
        } catch (IOException e) {
            session.close(true);
        }
    }
}
