package io.ferry.transfer.sftp;

import java.io.IOException;
import java.security.PublicKey;
import java.util.Optional;
import java.util.concurrent.Executor;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.auth.password.PasswordAuthenticator;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.transfer.account.Account;
import io.ferry.transfer.session.PartnerLogins;

/**
 * Password and public-key authentication (RFC 4252) through {@link PartnerLogins}, the login path every door
 * shares. Password checks run on their own threads ({@link AsyncAuthException}), so slow password hashing never
 * stalls the I/O threads that move other sessions' files. A failure never says whether the username exists. On
 * success the account and its files are attached to the session; when the storage is unavailable the client is
 * disconnected with a message saying so.
 */
final class SftpAuthenticator implements PasswordAuthenticator, PublickeyAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(SftpAuthenticator.class);

    private final PartnerLogins logins;
    private final Executor executor;
    /** The login that let the session in, until the session is authenticated (then counted as a success). */
    private static final AttributeKey<PartnerLogins.Attempt> ATTEMPT = new AttributeKey<>();

    SftpAuthenticator(PartnerLogins logins, Executor executor) {
        this.logins = logins;
        this.executor = executor;
    }

    @Override
    public boolean authenticate(String username, String password, ServerSession session) {
        PartnerLogins.Attempt attempt = attempt(session, "password", username);
        AsyncAuthException result = new AsyncAuthException();
        executor.execute(() -> {
            boolean accepted;
            try {
                SftpSessions.putMdc(session);
                accepted = logins.password(attempt, password).map(account -> accept(session, attempt, account))
                        .orElse(false);
            } catch (RuntimeException e) {
                SftpSessions.withMdc(session, () -> log.error("Authentication (password) failed with an error", e));
                accepted = false;
            } finally {
                SftpSessions.clearMdc();
            }
            result.setAuthed(accepted);
        });
        throw result;
    }

    /**
     * Runs on the I/O thread: a key lookup is quick, and MINA cannot take an asynchronous answer here (it would skip
     * the signature check of RFC 4252 section 7). Called twice per login, for the key and then with its signature;
     * the key is checked both times, so a probe with one key cannot open the door for another.
     */
    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) {
        PartnerLogins.Attempt attempt = attempt(session, "publickey", username);
        SftpSessions.putMdc(session);
        try {
            Optional<Account> account = logins.publicKey(attempt, key);
            if (account.isEmpty()) {
                return false;
            }
            SessionAccount known = session.getAttribute(SftpSessions.ACCOUNT);
            if (known != null && known.username().equals(username)) {
                return true;
            }
            return accept(session, attempt, account.get());
        } finally {
            SftpSessions.clearMdc();
        }
    }

    private static PartnerLogins.Attempt attempt(ServerSession session, String method, String username) {
        return new PartnerLogins.Attempt(SftpSessions.PROTOCOL, method, username, SftpSessions.clientAddress(session),
                null);
    }

    /**
     * Attaches the account and its files to the session (the rules after the credential are
     * {@link PartnerLogins#admit}'s); false if it is refused, and the session ended when the storage is at fault.
     */
    boolean accept(ServerSession session, PartnerLogins.Attempt attempt, Account account) {
        PartnerLogins.Result result = logins.admit(attempt, account);
        if (result instanceof PartnerLogins.Refused refused) {
            if (refused.clientMessage() != null) {
                disconnect(session, refused.clientMessage());
            }
            return false;
        }
        PartnerLogins.Admitted admitted = (PartnerLogins.Admitted) result;
        session.setAttribute(SftpSessions.ACCOUNT, new SessionAccount(admitted.live()));
        // counted as a success once the session is authenticated: MINA asks here for a public key before it checks
        // the signature, and a client may still go on to another method
        session.setAttribute(ATTEMPT, attempt);
        return true;
    }

    /** The session's Authenticated event: the login that got the session in counts as one success. */
    void authenticated(ServerSession session) {
        PartnerLogins.Attempt attempt = session.getAttribute(ATTEMPT);
        if (attempt != null) {
            logins.succeeded(attempt);
        }
    }

    private static void disconnect(ServerSession session, String message) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_SERVICE_NOT_AVAILABLE, message);
        } catch (IOException e) {
            session.close(true);
        }
    }
}
