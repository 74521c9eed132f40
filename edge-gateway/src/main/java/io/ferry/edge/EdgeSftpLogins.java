package io.ferry.edge;

import java.io.IOException;
import java.security.PublicKey;
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


/**
 * A partner's SFTP login at the edge, for {@link EdgeSftpServer}'s password and public-key authenticators, checked
 * by a node through {@link NodeLogins} (as FTPS logins are). The ticket of an accepted login is kept on the session
 * as its {@link Admission}, with which {@link SftpRelay} opens the partner's file session on that node; a refusal
 * the door counts as one too many, a ban, or no node to ask ends the connection.
 */
final class EdgeSftpLogins {

    private static final Logger log = LoggerFactory.getLogger(EdgeSftpLogins.class);

    /** The node and ticket a partner's login earned. */
    record Admission(Backend backend, String ticket, String username, String keyFingerprint) {
    }

    static final AttributeKey<Admission> ADMISSION = new AttributeKey<>();

    private final NodeLogins logins;
    private final ExecutorService workers;

    /** @param workers where a password login waits for the node's answer (MINA takes it asynchronously) */
    EdgeSftpLogins(NodeLogins logins, ExecutorService workers) {
        this.logins = logins;
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
        String id = session.getAttribute(EdgeSftpServer.SESSION);
        if (id != null) {
            request.setProperty("session", id);
        }
        NodeLogins.Verdict verdict = logins.check(username, session.getAttribute(EdgeSftpServer.ADDRESS), request,
                method, method, keyFingerprint == null);
        if (verdict instanceof NodeLogins.Admitted admitted) {
            session.setAttribute(ADMISSION, new Admission(admitted.backend(), admitted.ticket(), username,
                    keyFingerprint));
            return true;
        }
        if (verdict instanceof NodeLogins.Refused refused && !refused.closeNow()) {
            return false;
        }
        disconnect(session, verdict instanceof NodeLogins.NoNode
                ? "no transfer node is available; please try again later" : "too many failed logins");
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
