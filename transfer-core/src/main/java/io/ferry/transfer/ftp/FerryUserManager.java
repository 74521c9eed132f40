package io.ferry.transfer.ftp;

import java.util.Optional;
import java.util.function.IntSupplier;

import org.apache.ftpserver.ftplet.Authentication;
import org.apache.ftpserver.ftplet.AuthenticationFailedException;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.usermanager.UsernamePasswordAuthentication;

import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.session.PartnerLogins;

/**
 * FTP logins through {@link PartnerLogins}, the login path every door shares: the same Argon2id passwords as SFTP,
 * no anonymous access, no user management through FTP. A failure never says whether the username exists.
 */
final class FerryUserManager implements UserManager {

    private final AccountService accounts;
    private final PartnerLogins logins;
    private final IntSupplier maxLoginsPerAccount;

    FerryUserManager(AccountService accounts, PartnerLogins logins, IntSupplier maxLoginsPerAccount) {
        this.accounts = accounts;
        this.logins = logins;
        this.maxLoginsPerAccount = maxLoginsPerAccount;
    }

    @Override
    public User authenticate(Authentication authentication) throws AuthenticationFailedException {
        if (!(authentication instanceof UsernamePasswordAuthentication login) || login.getUsername() == null
                || login.getPassword() == null) {
            throw new AuthenticationFailedException("Authentication failed");
        }
        String address = login.getUserMetadata() == null || login.getUserMetadata().getInetAddress() == null ? null
                : login.getUserMetadata().getInetAddress().getHostAddress();
        PartnerLogins.Attempt attempt = new PartnerLogins.Attempt("ftps", "password", login.getUsername(), address,
                null);
        Optional<Account> account = logins.password(attempt, login.getPassword());
        if (account.isEmpty()) {
            throw new AuthenticationFailedException("Authentication failed");
        }
        PartnerLogins.Result result = logins.admit(attempt, account.get());
        if (result instanceof PartnerLogins.Refused refused) {
            throw new AuthenticationFailedException(refused.clientMessage() == null ? "Authentication failed"
                    : refused.clientMessage());
        }
        logins.succeeded(attempt);
        return new FtpAccount(((PartnerLogins.Admitted) result).live(), maxLoginsPerAccount.getAsInt());
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
