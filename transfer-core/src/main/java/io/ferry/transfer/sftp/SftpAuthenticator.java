package io.ferry.transfer.sftp;

import java.io.IOException;
import java.security.PublicKey;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.auth.password.PasswordAuthenticator;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.storage.StorageUnavailableException;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.node.Logins;

/**
 * Password and public-key authentication against Ferry's accounts (RFC 4252). Password checks run on their own
 * threads ({@link AsyncAuthException}), so slow password hashing never stalls the I/O threads that move other
 * sessions' files. A failure never says whether the username exists; the log records it for the operator. On success the
 * account and its files are attached to the session; when the storage is unavailable the client is disconnected
 * with a message saying so.
 */
final class SftpAuthenticator implements PasswordAuthenticator, PublickeyAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(SftpAuthenticator.class);

    private final AccountService accounts;
    private final StorageRoot storage;
    private final Executor executor;
    private volatile io.ferry.transfer.node.Defender defender = io.ferry.transfer.node.Defender.NONE;
    private volatile Logins logins = Logins.NONE;
    /** The method of the last check that let the session in, until the session is authenticated. */
    private static final org.apache.sshd.common.AttributeRepository.AttributeKey<String> METHOD =
            new org.apache.sshd.common.AttributeRepository.AttributeKey<>();

    SftpAuthenticator(AccountService accounts, StorageRoot storage, Executor executor) {
        this.accounts = accounts;
        this.storage = storage;
        this.executor = executor;
    }

    void setDefender(io.ferry.transfer.node.Defender defender) {
        this.defender = defender;
    }

    void setLogins(Logins logins) {
        this.logins = logins;
    }

    @Override
    public boolean authenticate(String username, String password, ServerSession session) {
        return async(session, "password", () -> {
            Optional<Account> account = accounts.authenticate(username, password);
            if (account.isEmpty()) {
                defender.failed(SftpSessions.clientAddress(session)); // a guessed password, unlike an offered key
            }
            return account;
        });
    }

    /**
     * Runs on the I/O thread: a key lookup is quick, and MINA cannot take an asynchronous answer here (it would skip
     * the signature check of RFC 4252 section 7). Called twice per login, for the key and then with its signature;
     * the key is checked both times, so a probe with one key cannot open the door for another.
     */
    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) {
        Optional<Account> account = accounts.authenticate(username, key);
        if (account.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.info("Public key {} {} not accepted for '{}'",
                    KeyUtils.getKeyType(key), KeyUtils.getFingerPrint(key), username));
            return false;
        }
        SessionAccount known = session.getAttribute(SftpSessions.ACCOUNT);
        if (known != null && known.username().equals(username)) {
            return true;
        }
        return accept(session, "publickey", account);
    }

    private boolean async(ServerSession session, String method, Supplier<Optional<Account>> check) {
        AsyncAuthException result = new AsyncAuthException();
        executor.execute(() -> {
            boolean accepted;
            try {
                accepted = accept(session, method, check.get());
            } catch (RuntimeException e) {
                SftpSessions.withMdc(session, () -> log.error("Authentication ({}) failed with an error", method, e));
                accepted = false;
            }
            result.setAuthed(accepted);
        });
        throw result;
    }

    /** Attaches the account and its files to the session; false (and the reason logged) if that cannot be done. */
    boolean accept(ServerSession session, String method, Optional<Account> account) {
        if (account.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.warn("Authentication ({}) failed for '{}'", method,
                    session.getUsername()));
            decided(session, method, Logins.Outcome.FAILURE);
            return false;
        }
        Account found = account.get();
        String address = SftpSessions.clientAddress(session);
        if (!found.permits(address)) {
            SftpSessions.withMdc(session, () -> log.warn("Authentication ({}) of '{}' refused: {} is not an address"
                    + " the account may log in from", method, found.getUsername(), address));
            decided(session, method, Logins.Outcome.REFUSED);
            return false;
        }
        FileStore store;
        try {
            store = storage.open(found.getHome(), new Quota(found.getQuotaBytes(), found.getQuotaFiles()));
        } catch (StorageUnavailableException e) {
            SftpSessions.withMdc(session, () -> log.error("Refusing the session: {}", e.getMessage()));
            decided(session, method, Logins.Outcome.REFUSED);
            disconnect(session, "Ferry's storage is unavailable; please try again later");
            return false;
        } catch (IOException e) {
            SftpSessions.withMdc(session, () -> log.error("Cannot open the home directory '{}'", found.getHome(), e));
            decided(session, method, Logins.Outcome.REFUSED);
            disconnect(session, "the account's home directory cannot be opened");
            return false;
        }
        session.setAttribute(SftpSessions.ACCOUNT, new SessionAccount(new LiveAccount(accounts, found, store)));
        // counted as a success once the session is authenticated: MINA asks here for a public key before it checks
        // the signature, and a client may still go on to another method
        session.setAttribute(METHOD, method);
        SftpSessions.withMdc(session, () -> log.info("Authenticated ({})", method));
        return true;
    }

    /** The session's Authenticated event: the login that got the session in counts as one success. */
    void authenticated(ServerSession session) {
        String method = session.getAttribute(METHOD);
        if (method != null) {
            decided(session, method, Logins.Outcome.SUCCESS);
        }
    }

    /** A partner's own login; a file session an edge opens with its ticket is counted where the ticket is redeemed. */
    private void decided(ServerSession session, String method, Logins.Outcome outcome) {
        if (SftpSessions.edge(session) == null) {
            logins.decided(SftpSessions.PROTOCOL, method, outcome);
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
