package io.ferry.transfer.sftp;

import java.io.IOException;
import java.nio.file.AccessDeniedException;

import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;

/**
 * The account a session logged in as, and its files. The account is read again at most once a second, so an
 * administrator's change of permissions applies to sessions already open, and disabling or deleting the account
 * ends them.
 */
final class SessionAccount {

    private static final Logger log = LoggerFactory.getLogger(SessionAccount.class);
    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final String username;
    private final FileStore store;
    private volatile Account account;
    private volatile long readAt;

    SessionAccount(Account account, FileStore store) {
        this.username = account.getUsername();
        this.account = account;
        this.store = store;
        this.readAt = System.nanoTime();
    }

    String username() {
        return username;
    }

    FileStore store() {
        return store;
    }

    /** The account as the database has it now (within a second). */
    Account current(AccountService accounts, ServerSession session) throws IOException {
        if (System.nanoTime() - readAt > REFRESH_NANOS) {
            Account fresh = accounts.find(username).filter(Account::isEnabled).orElse(null);
            if (fresh == null) {
                log.info("Account was disabled or deleted: ending the session");
                session.close(false);
                throw new AccessDeniedException("/", null, "the account is disabled");
            }
            account = fresh;
            readAt = System.nanoTime();
        }
        return account;
    }

    /** The account as it was last read (for log rows). */
    Account lastKnown() {
        return account;
    }
}
