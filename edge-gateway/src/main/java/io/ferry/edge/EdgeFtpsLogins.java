package io.ferry.edge;

import java.io.IOException;
import java.time.Instant;
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
import org.apache.sshd.client.session.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * FTPS logins at the edge, for {@link EdgeFtpsServer}: FtpServer's user manager, with no users of its own. A login is
 * checked by a node: the nodes that serve partners are asked in routing order (the next when one does not answer or
 * stopped serving), and the one that accepts answers with a one-time ticket; the {@link EdgeUser} made of it opens
 * the partner's files as an SFTP session on that node. The door's bans and failure count apply, and a ban the
 * cluster answers with is kept at the door.
 */
final class EdgeFtpsLogins implements UserManager {

    private static final Logger log = LoggerFactory.getLogger(EdgeFtpsLogins.class);

    private final Backends backends;
    private final Door door;
    private final MeterRegistry meters;

    EdgeFtpsLogins(Backends backends, Door door, MeterRegistry meters) {
        this.backends = backends;
        this.door = door;
        this.meters = meters;
    }

    @Override
    public User authenticate(Authentication authentication) throws AuthenticationFailedException {
        if (!(authentication instanceof UsernamePasswordAuthentication login)) {
            throw new AuthenticationFailedException("only user and password logins");
        }
        String address = login.getUserMetadata() == null || login.getUserMetadata().getInetAddress() == null
                ? "?" : login.getUserMetadata().getInetAddress().getHostAddress();
        String username = login.getUsername();
        if (door.banned(address)) {
            throw new AuthenticationFailedException("banned");
        }
        Properties request = new Properties();
        request.setProperty("username", username);
        request.setProperty("password", login.getPassword() == null ? "" : login.getPassword());
        request.setProperty("address", address);
        request.setProperty("protocol", "ftps");
        // FtpServer's session UUID, which it puts in the MDC of this edge's FTPS log lines; the node's file session
        // takes its first 12 characters, as nodes name their own FTPS sessions
        String id = MDC.get("session");
        if (id != null && id.length() >= 12) {
            request.setProperty("session", id.substring(0, 12));
        }
        for (Backend backend : backends.candidates(address)) {
            Properties answer;
            try {
                answer = backend.request("auth", request);
            } catch (IOException e) {
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "failed").increment();
                log.warn("Node {} did not authenticate '{}': {}; trying the next", backend.address(), username,
                        e.getMessage());
                continue;
            }
            if ("true".equals(answer.getProperty("ok"))) {
                meters.counter("ferry.edge.auth", "method", "password", "outcome", "success").increment();
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "chosen").increment();
                log.info("'{}' from {} authenticated (FTPS password) by node {}", username, address, backend.name());
                return new EdgeUser(username, backend, answer.getProperty("ticket"));
            }
            if ("not-serving".equals(answer.getProperty("reason"))) {
                continue;
            }
            if ("banned".equals(answer.getProperty("reason"))) {
                door.bannedUntil(address, Instant.ofEpochMilli(Long.parseLong(answer.getProperty("until"))));
                meters.counter("ferry.edge.auth", "method", "password", "outcome", "banned").increment();
                throw new AuthenticationFailedException("banned");
            }
            meters.counter("ferry.edge.auth", "method", "password", "outcome", "failure").increment();
            log.info("Authentication (FTPS password) of '{}' from {} failed", username, address);
            door.failed(address);
            throw new AuthenticationFailedException("denied");
        }
        meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
        log.warn("No node serves partners now: '{}' from {} is turned away", username, address);
        throw new AuthenticationFailedException("no node available");
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

    /** A partner a node authenticated; its files are an SFTP session on that node, opened with the ticket. */
    static final class EdgeUser implements User {
        private final String name;
        private final Backend backend;
        private final String ticket;

        EdgeUser(String name, Backend backend, String ticket) {
            this.name = name;
            this.backend = backend;
            this.ticket = ticket;
        }

        SftpView view() throws FtpException {
            ClientSession session;
            try {
                session = backend.fileSession(ticket);
            } catch (IOException e) {
                throw new FtpException("the transfer node is unavailable", e);
            }
            backend.relayed().incrementAndGet();
            session.addCloseFutureListener(f -> backend.relayed().decrementAndGet());
            try {
                return new SftpView(session);
            } catch (IOException | RuntimeException e) {
                session.close(true);
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
