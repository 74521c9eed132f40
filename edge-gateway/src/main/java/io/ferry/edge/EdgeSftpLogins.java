package io.ferry.edge;

import java.io.IOException;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.Properties;
import java.util.concurrent.ExecutorService;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKey;
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
    record Admission(Backend backend, String ticket, String grant, String username, String keyFingerprint) {
    }

    static final AttributeKey<Admission> ADMISSION = new AttributeKey<>();
    /** The user name and key fingerprint a node accepted when the partner offered the key. */
    private static final AttributeKey<String> KEY_ACCEPTED = new AttributeKey<>();

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
     * Whether a node accepts this key for the account (MINA asks when the partner offers the key, and again before
     * it checks the signature; the first answer is kept for the second). An accepted key earns no ticket: the node
     * issues one only for what the partner signed, which {@link ForwardingPublicKeyAuth} forwards. Runs on an I/O
     * thread (MINA takes no asynchronous answer here).
     */
    boolean publicKey(String username, PublicKey key, ServerSession session) {
        String fingerprint = KeyUtils.getFingerPrint(key);
        String accepted = session.getAttribute(KEY_ACCEPTED);
        if ((username + " " + fingerprint).equals(accepted)) {
            return true;
        }
        Properties request = new Properties();
        request.setProperty("publicKey", PublicKeyEntry.toString(key));
        if (admit(session, username, request, "publickey", fingerprint)) {
            session.setAttribute(KEY_ACCEPTED, username + " " + fingerprint);
            return true;
        }
        return false;
    }

    /**
     * The partner's signature, checked here as MINA checks it and then forwarded to a node, whose ticket it earns:
     * what was signed (the session identifier of the partner's connection to this edge, the user name, the service,
     * the algorithm and the key) lets the node check it with the key itself.
     */
    boolean signed(ServerSession session, String username, String service, String algorithm, PublicKey key,
            byte[] keyBlob, byte[] signature) {
        Properties request = new Properties();
        request.setProperty("publicKey", PublicKeyEntry.toString(key));
        request.setProperty("sessionId", Base64.getEncoder().encodeToString(session.getSessionId()));
        request.setProperty("service", service);
        request.setProperty("algorithm", algorithm);
        request.setProperty("keyBlob", Base64.getEncoder().encodeToString(keyBlob));
        request.setProperty("signature", Base64.getEncoder().encodeToString(signature));
        return admit(session, username, request, "publickey", KeyUtils.getFingerPrint(key))
                && session.getAttribute(ADMISSION) != null && session.getAttribute(ADMISSION).ticket() != null;
    }

    /** MINA's public-key authentication, with the signature it verified forwarded to a node for the ticket. */
    final class ForwardingPublicKeyAuth extends UserAuthPublicKey {

        @Override
        protected boolean verifySignature(ServerSession session, String username, String alg, PublicKey key,
                Buffer buffer, Signature verifier, byte[] sig) throws Exception {
            // the buffer holds the key blob as sent (a length and the bytes); the parent reads it
            byte[] blob = Arrays.copyOfRange(buffer.array(), buffer.rpos() + 4, buffer.wpos());
            return super.verifySignature(session, username, alg, key, buffer, verifier, sig)
                    && signed(session, username, getService(), alg, key, blob, sig);
        }
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
            if (admitted.ticket() != null) {
                session.setAttribute(ADMISSION, new Admission(admitted.backend(), admitted.ticket(), admitted.grant(),
                        username, keyFingerprint));
            }
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
