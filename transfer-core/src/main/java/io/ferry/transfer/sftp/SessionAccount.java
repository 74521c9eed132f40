package io.ferry.transfer.sftp;

import java.nio.file.AccessDeniedException;

import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.LiveAccount;

/**
 * The account an SSH session logged in as ({@link LiveAccount}); disabling or deleting the account ends the
 * session.
 */
final class SessionAccount {

    private static final Logger log = LoggerFactory.getLogger(SessionAccount.class);

    private final LiveAccount live;

    SessionAccount(LiveAccount live) {
        this.live = live;
    }

    String username() {
        return live.username();
    }

    /** The account and its files as every protocol sees them. */
    LiveAccount live() {
        return live;
    }

    FileStore store() {
        return live.store();
    }

    /** The account as the database has it now (within a second); a disabled account closes the session. */
    Account current(ServerSession session) throws AccessDeniedException {
        try {
            return live.current();
        } catch (AccessDeniedException e) {
            log.info("Account was disabled or deleted: ending the session");
            session.close(false);
            throw e;
        }
    }
}
