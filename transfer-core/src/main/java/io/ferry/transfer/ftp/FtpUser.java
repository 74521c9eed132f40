package io.ferry.transfer.ftp;

import java.util.List;

import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.AuthorizationRequest;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.TransferRatePermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;

/**
 * What FtpServer knows of a Ferry account: its name and the authorities FtpServer checks itself (write commands,
 * refined per operation by Ferry's permissions; concurrent logins; no rate limit). Never a password.
 */
class FtpUser implements User {

    private final String name;
    private final List<Authority> authorities;

    FtpUser(String name, int maxLoginsPerAccount) {
        this.name = name;
        this.authorities = List.of(new WritePermission(), new ConcurrentLoginPermission(maxLoginsPerAccount, 0),
                new TransferRatePermission(0, 0));
    }

    @Override
    public final String getName() {
        return name;
    }

    @Override
    public final String getPassword() {
        return null; // authentication is AccountService's
    }

    @Override
    public final List<? extends Authority> getAuthorities() {
        return authorities;
    }

    @Override
    public final List<? extends Authority> getAuthorities(Class<? extends Authority> type) {
        return authorities.stream().filter(type::isInstance).toList();
    }

    /** FtpServer's rule: granted only if some authority knows the request and none refuses it. */
    @Override
    public final AuthorizationRequest authorize(AuthorizationRequest request) {
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

    @Override
    public final int getMaxIdleTime() {
        return 0; // the listener's idle timeout applies
    }

    @Override
    public final boolean getEnabled() {
        return true;
    }

    @Override
    public final String getHomeDirectory() {
        return "/";
    }
}
