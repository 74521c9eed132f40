package io.ferry.transfer.sftp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.PublicKey;
import java.util.Optional;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.auth.password.PasswordAuthenticator;
import org.apache.sshd.server.auth.password.PasswordChangeRequiredException;
import org.apache.sshd.server.auth.pubkey.PublickeyAuthenticator;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.Jail;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;

/**
 * Password and public-key authentication against Ferry's accounts (RFC 4252). A failure never says whether the
 * username exists; the log records it for the operator. On success the account and its jail are attached to the
 * session.
 */
final class SftpAuthenticator implements PasswordAuthenticator, PublickeyAuthenticator {

    private static final Logger log = LoggerFactory.getLogger(SftpAuthenticator.class);

    private final AccountService accounts;
    private final StorageRoot storage;

    SftpAuthenticator(AccountService accounts, StorageRoot storage) {
        this.accounts = accounts;
        this.storage = storage;
    }

    @Override
    public boolean authenticate(String username, String password, ServerSession session)
            throws PasswordChangeRequiredException, AsyncAuthException {
        return outcome(session, "password", accounts.authenticate(username, password));
    }

    @Override
    public boolean authenticate(String username, PublicKey key, ServerSession session) throws AsyncAuthException {
        Optional<Account> account = accounts.authenticate(username, key);
        if (account.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.info("Public key {} {} not accepted for '{}'",
                    KeyUtils.getKeyType(key), KeyUtils.getFingerPrint(key), username));
            return false;
        }
        return outcome(session, "publickey", account);
    }

    private boolean outcome(ServerSession session, String method, Optional<Account> account) {
        if (account.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.warn("Authentication ({}) failed for '{}'", method,
                    session.getUsername()));
            return false;
        }
        Account known = session.getAttribute(SftpSessions.ACCOUNT);
        if (known != null && known.getUsername().equals(account.get().getUsername())) {
            // Public-key auth asks twice (RFC 4252 section 7: the key check, then the signature).
            return true;
        }
        Jail jail;
        try {
            jail = storage.jail(account.get().getHome());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the home directory of " + account.get().getUsername(), e);
        }
        session.setAttribute(SftpSessions.JAIL, jail);
        session.setAttribute(SftpSessions.ACCOUNT, account.get());
        SftpSessions.withMdc(session, () -> log.info("Authenticated ({})", method));
        return true;
    }
}
