package io.ferry.transfer.account;

import java.nio.file.AccessDeniedException;

import io.ferry.storage.FileStore;

/**
 * The account a protocol session logged in as, and its files, for every protocol. The account is read again at
 * most once a second, so an administrator's change of permissions applies to sessions already open, and disabling
 * or deleting the account refuses their next operation.
 */
public final class LiveAccount {

    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final AccountService accounts;
    private final String username;
    private final FileStore store;
    private volatile Account account;
    private volatile long readAt;

    public LiveAccount(AccountService accounts, Account account, FileStore store) {
        this.accounts = accounts;
        this.username = account.getUsername();
        this.account = account;
        this.store = store;
        this.readAt = System.nanoTime();
    }

    public String username() {
        return username;
    }

    public FileStore store() {
        return store;
    }

    /** The account as the database has it now (within a second); refused once it is disabled or deleted. */
    public Account current() throws AccessDeniedException {
        if (System.nanoTime() - readAt > REFRESH_NANOS) {
            Account fresh = accounts.find(username).filter(Account::isEnabled).orElse(null);
            if (fresh == null) {
                throw new AccessDeniedException("/", null, "the account is disabled");
            }
            account = fresh;
            readAt = System.nanoTime();
        }
        return account;
    }

    /** Whether the account (as it is now) has the permission; false once it is disabled. */
    public boolean may(Permission permission) {
        try {
            return current().may(permission);
        } catch (AccessDeniedException e) {
            return false;
        }
    }
}
