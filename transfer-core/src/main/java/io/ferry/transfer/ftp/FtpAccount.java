package io.ferry.transfer.ftp;

import java.nio.file.AccessDeniedException;
import java.util.List;

import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.AuthorizationRequest;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.TransferRatePermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;

import io.ferry.storage.FileStore;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.Permission;

/**
 * A logged-in FTP user: the Ferry account and its files. The account is read again at most once a second, so an
 * administrator's change of permissions applies to sessions already open, and disabling the account stops them.
 */
final class FtpAccount implements User {

    private static final long REFRESH_NANOS = 1_000_000_000L;

    private final AccountService accounts;
    private final String username;
    private final FileStore store;
    private final List<Authority> authorities;
    private volatile Account account;
    private volatile long readAt;

    FtpAccount(AccountService accounts, Account account, FileStore store, int maxLoginsPerAccount) {
        this.accounts = accounts;
        this.username = account.getUsername();
        this.account = account;
        this.store = store;
        this.readAt = System.nanoTime();
        // FtpServer's own checks: write commands (refined per operation by Ferry's permissions), concurrent logins
        this.authorities = authorities(maxLoginsPerAccount);
    }

    FileStore store() {
        return store;
    }

    /** The account as the database has it now (within a second); refused once it is disabled or deleted. */
    Account current() throws AccessDeniedException {
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

    boolean may(Permission permission) {
        try {
            return current().may(permission);
        } catch (AccessDeniedException e) {
            return false;
        }
    }

    @Override
    public String getName() {
        return username;
    }

    @Override
    public String getPassword() {
        return null; // never handed out; authentication is AccountService's
    }

    @Override
    public List<? extends Authority> getAuthorities() {
        return authorities;
    }

    @Override
    public List<? extends Authority> getAuthorities(Class<? extends Authority> type) {
        return authorities.stream().filter(type::isInstance).toList();
    }

    /** FtpServer's rule: granted only if some authority knows the request and none refuses it. */
    @Override
    public AuthorizationRequest authorize(AuthorizationRequest request) {
        return authorize(authorities, request);
    }

    static AuthorizationRequest authorize(List<Authority> authorities, AuthorizationRequest request) {
        boolean known = false;
        for (Authority authority : authorities) {
            if (authority.canAuthorize(request)) {
                known = true;
                request = authority.authorize(request);
                if (request == null) {
                    return null;
                }
            }
        }
        return known ? request : null;
    }

    /** What FtpServer may know of an account before it logs in: its login limit. */
    static List<Authority> authorities(int maxLoginsPerAccount) {
        return List.of(new WritePermission(), new ConcurrentLoginPermission(maxLoginsPerAccount, 0),
                new TransferRatePermission(0, 0));
    }

    @Override
    public int getMaxIdleTime() {
        return 0; // the listener's idle timeout applies
    }

    @Override
    public boolean getEnabled() {
        return true;
    }

    @Override
    public String getHomeDirectory() {
        return "/";
    }
}
