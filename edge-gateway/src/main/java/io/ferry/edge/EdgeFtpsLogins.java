package io.ferry.edge;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.apache.ftpserver.ftplet.Authentication;
import org.apache.ftpserver.ftplet.AuthenticationFailedException;
import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.AuthorizationRequest;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.usermanager.UsernamePasswordAuthentication;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;


/**
 * FTPS logins at the edge, for {@link EdgeFtpsServer}: FtpServer's user manager, with no users of its own. A login is
 * checked by a node through {@link NodeLogins} (as SFTP logins are); the {@link EdgeUser} made of an accepted one
 * opens the partner's files as an SFTP session on that node with its ticket.
 */
final class EdgeFtpsLogins implements UserManager {

    private static final Logger log = LoggerFactory.getLogger(EdgeFtpsLogins.class);

    private final NodeLogins logins;
    private final Backends backends;
    private final EdgeProperties.Failover failover;

    EdgeFtpsLogins(NodeLogins logins, Backends backends, EdgeProperties.Failover failover) {
        this.logins = logins;
        this.backends = backends;
        this.failover = failover;
    }

    @Override
    public User authenticate(Authentication authentication) throws AuthenticationFailedException {
        if (!(authentication instanceof UsernamePasswordAuthentication login)) {
            throw new AuthenticationFailedException("only user and password logins");
        }
        String address = login.getUserMetadata() == null || login.getUserMetadata().getInetAddress() == null
                ? "?" : login.getUserMetadata().getInetAddress().getHostAddress();
        String username = login.getUsername();
        Properties request = new Properties();
        request.setProperty("password", login.getPassword() == null ? "" : login.getPassword());
        request.setProperty("protocol", "ftps");
        // FtpServer's session UUID, which it puts in the MDC of this edge's FTPS log lines; the node's file session
        // takes its first 12 characters, as nodes name their own FTPS sessions
        String id = MDC.get("session");
        if (id != null && id.length() >= 12) {
            request.setProperty("session", id.substring(0, 12));
        }
        // a refusal that makes the door drop the address is FtpServer's to act on: it closes the connection after
        // ferry.edge.limits.max-auth-attempts failures, and the door refuses the address's next connection
        NodeLogins.Verdict verdict = logins.check(username, address, request, "password", "FTPS password", true);
        if (verdict instanceof NodeLogins.Admitted admitted) {
            return new EdgeUser(username, new NodeLink(backends, admitted.backend(), admitted.ticket(),
                    admitted.grant(), username, address, failover.enabled() ? failover.timeout() : Duration.ZERO,
                    opened -> { }));
        }
        throw new AuthenticationFailedException(verdict instanceof NodeLogins.Banned ? "banned"
                : verdict instanceof NodeLogins.NoNode ? "no node available" : "denied");
    }

    @Override
    public User getUserByName(String username) {
        return null;
    }

    @Override
    public String[] getAllUserNames() {
        return new String[0];
    }

    @Override
    public void delete(String username) throws FtpException {
        throw new FtpException("the edge has no users of its own");
    }

    @Override
    public void save(User user) throws FtpException {
        throw new FtpException("the edge has no users of its own");
    }

    @Override
    public boolean doesExist(String username) {
        return false;
    }

    @Override
    public String getAdminName() {
        return "";
    }

    @Override
    public boolean isAdmin(String username) {
        return false;
    }

    /**
     * A partner a node authenticated; its files are an SFTP session on that node, opened with the ticket, and carried
     * over to another node when that one dies ({@link NodeLink}).
     */
    static final class EdgeUser implements User {
        private final String name;
        private final NodeLink link;

        EdgeUser(String name, NodeLink link) {
            this.name = name;
            this.link = link;
        }

        SftpView view() throws FtpException {
            try {
                return new SftpView(link);
            } catch (IOException | RuntimeException e) {
                link.close();
                throw new FtpException("the transfer node is unavailable", e);
            }
        }

        @Override
        public String getName() {
            return name;
        }

        @Override
        public String getPassword() {
            return null;
        }

        @Override
        public List<? extends Authority> getAuthorities() {
            return List.of();
        }

        @Override
        public List<? extends Authority> getAuthorities(Class<? extends Authority> type) {
            return List.of();
        }

        /** The node decides what the partner may do; concurrent logins and rates are not limited here. */
        @Override
        public AuthorizationRequest authorize(AuthorizationRequest request) {
            return request;
        }

        @Override
        public int getMaxIdleTime() {
            return 0;
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
}
