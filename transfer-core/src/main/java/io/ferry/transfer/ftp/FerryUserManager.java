package io.ferry.transfer.ftp;

import java.io.IOException;
import java.util.Optional;

import org.apache.ftpserver.ftplet.Authentication;
import org.apache.ftpserver.ftplet.AuthenticationFailedException;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.usermanager.UsernamePasswordAuthentication;
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
 * FTP logins against Ferry's accounts: the same Argon2id passwords as SFTP, no anonymous access, no user
 * management through FTP. A failure never says whether the username exists.
 */
final class FerryUserManager implements UserManager {

    private static final Logger log = LoggerFactory.getLogger(FerryUserManager.class);

    private final AccountService accounts;
    private final StorageRoot storage;
    private final java.util.function.IntSupplier maxLoginsPerAccount;
    private final java.util.function.Supplier<io.ferry.transfer.node.Defender> defender;
    private final java.util.function.Supplier<Logins> logins;

    FerryUserManager(AccountService accounts, StorageRoot storage, java.util.function.IntSupplier maxLoginsPerAccount,
            java.util.function.Supplier<io.ferry.transfer.node.Defender> defender,
            java.util.function.Supplier<Logins> logins) {
        this.defender = defender;
        this.logins = logins;
        this.accounts = accounts;
        this.storage = storage;
        this.maxLoginsPerAccount = maxLoginsPerAccount;
    }

    @Override
    public User authenticate(Authentication authentication) throws AuthenticationFailedException {
        if (!(authentication instanceof UsernamePasswordAuthentication login) || login.getUsername() == null
                || login.getPassword() == null) {
            throw new AuthenticationFailedException("Authentication failed");
        }
        Optional<Account> account = accounts.authenticate(login.getUsername(), login.getPassword());
        if (account.isEmpty()) {
            log.warn("FTP login failed for '{}' from {}", login.getUsername(),
                    login.getUserMetadata() == null ? "?" : login.getUserMetadata().getInetAddress());
            if (login.getUserMetadata() != null && login.getUserMetadata().getInetAddress() != null) {
                defender.get().failed(login.getUserMetadata().getInetAddress().getHostAddress());
            }
            decided(Logins.Outcome.FAILURE);
            throw new AuthenticationFailedException("Authentication failed");
        }
        Account found = account.get();
        String address = login.getUserMetadata() == null || login.getUserMetadata().getInetAddress() == null ? null
                : login.getUserMetadata().getInetAddress().getHostAddress();
        if (!found.permits(address)) {
            log.warn("FTP login of '{}' refused: {} is not an address the account may log in from",
                    found.getUsername(), address);
            decided(Logins.Outcome.REFUSED);
            throw new AuthenticationFailedException("Authentication failed");
        }
        FileStore store;
        try {
            store = storage.open(found.getHome(), new Quota(found.getQuotaBytes(), found.getQuotaFiles()));
        } catch (StorageUnavailableException e) {
            log.error("Refusing the FTP login of '{}': {}", found.getUsername(), e.getMessage());
            decided(Logins.Outcome.REFUSED);
            throw new AuthenticationFailedException("Ferry's storage is unavailable; please try again later");
        } catch (IOException e) {
            log.error("Cannot open the home directory '{}' of '{}'", found.getHome(), found.getUsername(), e);
            throw new AuthenticationFailedException("The account's home directory cannot be opened");
        }
        decided(Logins.Outcome.SUCCESS);
        return new FtpAccount(new LiveAccount(accounts, found, store), maxLoginsPerAccount.getAsInt());
    }

    private void decided(Logins.Outcome outcome) {
        logins.get().decided("ftps", "password", outcome);
    }

    /** Only for FtpServer's per-account login limit, checked at USER: the limit, nothing else. */
    @Override
    public User getUserByName(String username) {
        if (username == null || accounts.find(username).isEmpty()) {
            return null;
        }
        return new FtpUser(username, maxLoginsPerAccount.getAsInt());
    }

    @Override
    public String[] getAllUserNames() {
        return new String[0];
    }

    @Override
    public void delete(String username) throws FtpException {
        throw new FtpException("accounts are managed through Ferry's API");
    }

    @Override
    public void save(User user) throws FtpException {
        throw new FtpException("accounts are managed through Ferry's API");
    }

    @Override
    public boolean doesExist(String username) {
        return false; // never tells
    }

    @Override
    public String getAdminName() {
        return null;
    }

    @Override
    public boolean isAdmin(String username) {
        return false;
    }
}
