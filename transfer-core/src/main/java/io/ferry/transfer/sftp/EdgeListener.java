package io.ferry.transfer.sftp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.sshd.common.SshConstants;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.LogText;
import io.ferry.common.ssh.EdgeSessions;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.edge.EdgeGrants;
import io.ferry.transfer.edge.EdgeService;
import io.ferry.transfer.edge.EdgeTickets;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.node.SessionHost;
import io.ferry.transfer.node.SessionInfo;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;

/**
 * The internal listener that edge gateways connect to: SSH with the node's host key, where only registered edges
 * log in, with their name and secret ({@code edge:<name>}).
 * <ul>
 * <li>An edge's <b>control session</b> runs three commands, each a request and an answer in
 * {@link Properties} text: {@code status} (whether this node serves partners now, its role), {@code auth} (checks a
 * partner's password or public key, from the partner's own address, and answers with a one-time ticket), and
 * {@code identity} (the cluster's SSH host keys and FTPS certificate, so the edge presents the cluster's
 * identity).</li>
 * <li>A <b>file session</b> logs in as {@code edge:<name>:<ticket>} and is the partner's SFTP session, jailed in the
 * account the ticket names, recorded in the transfer log with the partner's address and the edge's name.</li>
 * </ul>
 * Partners' credentials are never accepted here: without a ticket there is no file session. A revoked edge's
 * sessions are closed within {@link #SWEEP_SECONDS} seconds.
 */
public final class EdgeListener implements SmartLifecycle, SessionHost {

    /** How an edge's login name starts (not a valid account name: accounts have no ':'). */
    public static final String EDGE_PREFIX = "edge:";
    static final int SWEEP_SECONDS = 2;
    /** The registration an edge's session logged in under (a re-registration under the same name is another). */
    static final org.apache.sshd.common.AttributeRepository.AttributeKey<String> REGISTRATION =
            new org.apache.sshd.common.AttributeRepository.AttributeKey<>();

    private static final Logger log = LoggerFactory.getLogger(EdgeListener.class);
    private static final int MAX_REQUEST = 64 * 1024;

    private final EdgeListenerProperties properties;
    private final SftpServer.ListeningSshServer server;
    private final AccountService accounts;
    private final EdgeService edges;
    private final EdgeTickets tickets;
    private final ServingState serving;
    private final SftpAuthenticator authenticator;
    private final ExecutorService workers;
    private ScheduledExecutorService sweeper;
    private final PartnerLogins logins;
    private final EdgeRequests requests;
    private volatile boolean running;

    @SuppressWarnings("checkstyle:ParameterNumber")
    public EdgeListener(EdgeListenerProperties properties, SftpProperties sftp, HostKeyStore hostKeyStore,
            AccountService accounts, PartnerLogins logins, Transfers transfers,
            ServingState serving, EdgeService edges, EdgeTickets tickets, EdgeGrants grants,
            Supplier<Map<String, String>> status,
            Supplier<Map<String, String>> tlsIdentity) {
        this.properties = properties;
        this.accounts = accounts;
        this.edges = edges;
        this.tickets = tickets;
        this.serving = serving;
        List<KeyPair> hostKeys = hostKeyStore.loadOrCreate();
        // the listener's own key, never given out: the edges hold the partners' host key, and one edge that leaks
        // it must not be able to pose as a node to the others
        this.server = SftpServer.base(sftp, properties.enabled() ? hostKeyStore.internalKeys() : hostKeys, transfers);
        server.setHost(properties.bindAddress());
        server.setPort(properties.port());
        // logins and requests wait on the database: more threads than cores, so a burst of logins is not queued
        // behind a few (password hashing is bounded by the accounts' own checks)
        this.workers = Executors.newFixedThreadPool(Math.max(8, Runtime.getRuntime().availableProcessors() * 4),
                SftpServer.daemonThreads("edge-listener-"));
        this.logins = logins;
        this.authenticator = new SftpAuthenticator(logins, workers);
        server.setPasswordAuthenticator(this::login);
        server.setPublickeyAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setCommandFactory((channel, command) -> new Request(command.trim()));
        this.requests = new EdgeRequests(logins, tickets, grants, serving, () -> {
            Map<String, String> answer = new java.util.HashMap<>(status.get());
            answer.put("sessions", String.valueOf(activeSessions()));
            return answer;
        }, tlsIdentity, hostKeys, properties.shareIdentity(), edges::firstUseOfSignature, this::closedForGood);
    }

    /** An edge's login: {@code edge:<name>} (control) or {@code edge:<name>:<ticket>} (a partner's file session). */
    private boolean login(String username, String secret, ServerSession session) {
        if (username == null || !username.startsWith(EDGE_PREFIX)) {
            SftpSessions.withMdc(session, () -> log.warn("Login as {} refused: only edges log in here",
                    LogText.quoted(username)));
            return false;
        }
        String rest = username.substring(EDGE_PREFIX.length());
        int colon = rest.indexOf(':');
        String edge = colon < 0 ? rest : rest.substring(0, colon);
        String ticket = colon < 0 ? null : rest.substring(colon + 1);
        AsyncAuthException result = new AsyncAuthException();
        workers.execute(() -> {
            boolean accepted;
            try {
                accepted = admit(session, edge, secret, ticket);
            } catch (RuntimeException e) {
                SftpSessions.withMdc(session, () -> log.error("Edge login failed with an error", e));
                accepted = false;
            }
            result.setAuthed(accepted);
        });
        throw result;
    }

    private boolean admit(ServerSession session, String edge, String secret, String ticketId) {
        Optional<String> registration = edges.verify(edge, secret);
        if (registration.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.warn("Edge {} refused: not registered, revoked, or a wrong"
                    + " secret", LogText.quoted(edge)));
            return false;
        }
        session.setAttribute(SftpSessions.EDGE, edge);
        session.setAttribute(REGISTRATION, registration.get());
        if (ticketId == null) {
            SftpSessions.withMdc(session, () -> log.info("Edge '{}' connected", edge));
            return true;
        }
        Optional<EdgeTickets.Ticket> ticket = tickets.redeem(edge, ticketId);
        if (ticket.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.warn("Edge {} offered an unknown, used or expired ticket",
                    LogText.quoted(edge)));
            return false;
        }
        if (!serving.serving()) {
            refuse(session, "this node does not serve partners now");
            return false;
        }
        session.setAttribute(SftpSessions.PARTNER_ADDRESS, ticket.get().clientAddress());
        String edgeSession = ticket.get().edgeSession();
        // taken only while no other session here has it: an edge's word cannot make two sessions one
        if (edgeSession != null && server.getActiveSessions().stream().noneMatch(
                other -> other != session && edgeSession.equals(other.getAttribute(SftpSessions.SESSION_ID)))) {
            String own = SftpSessions.sessionId(session);
            session.setAttribute(SftpSessions.SESSION_ID, edgeSession);
            SftpSessions.withMdc(session, () -> log.info("Session {} of edge '{}' (this node's connection {})",
                    edgeSession, edge, own));
        }
        if (ticket.get().carriedOver()) {
            session.setAttribute(SftpSessions.CARRIED_OVER, Boolean.TRUE);
        }
        boolean ftps = ticket.get().protocol().equals("ftps");
        if (ftps) {
            session.setAttribute(SftpSessions.PARTNER_PROTOCOL, "ftps"); // an FTPS partner the edge bridges
        }
        Optional<Account> account = accounts.find(ticket.get().account()).filter(Account::isEnabled);
        if (account.isEmpty()) {
            SftpSessions.withMdc(session, () -> log.warn("Edge '{}' redeemed a ticket of an account that is gone or"
                    + " disabled", edge));
            return false;
        }
        PartnerLogins.Attempt attempt = new PartnerLogins.Attempt(ticket.get().protocol(), ticket.get().method(),
                ticket.get().account(), ticket.get().clientAddress(), edge);
        boolean accepted;
        SftpSessions.putMdc(session);
        try {
            accepted = authenticator.accept(session, attempt, account.get());
        } finally {
            SftpSessions.clearMdc();
        }
        if (accepted) {
            logins.succeeded(attempt); // the partner's login, decided when its edge asked, is in now
        }
        return accepted;
    }

    private static void refuse(ServerSession session, String message) {
        SftpSessions.withMdc(session, () -> log.info("Refusing the edge's session: {}", message));
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_SERVICE_NOT_AVAILABLE, message);
        } catch (IOException e) {
            session.close(true);
        }
    }

    /** One control request ({@code exec}): reads the request until EOF, writes the answer, exits 0 (1 on error). */
    private final class Request implements Command {
        private final String command;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;

        Request(String command) {
            this.command = command;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback exit) {
            this.exit = exit;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            ServerSession session = channel.getServerSession();
            if (SftpSessions.edge(session) == null || session.getAttribute(SftpSessions.ACCOUNT) != null) {
                fail("requests are for an edge's control session only");
                return;
            }
            workers.execute(() -> SftpSessions.withMdc(session, () -> {
                try {
                    byte[] body = in.readNBytes(MAX_REQUEST + 1);
                    if (body.length > MAX_REQUEST) {
                        throw new IllegalArgumentException("request too large");
                    }
                    Properties request = new Properties();
                    request.load(new StringReader(new String(body, StandardCharsets.UTF_8)));
                    StringWriter text = new StringWriter();
                    requests.answer(session, command, request).store(text, null);
                    out.write(text.toString().getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    exit.onExit(0);
                } catch (IOException | RuntimeException e) {
                    log.warn("Edge request '{}' failed: {}", command, e.toString());
                    fail(e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }));
        }

        private void fail(String message) {
            try {
                err.write((message + "\n").getBytes(StandardCharsets.UTF_8));
                err.flush();
            } catch (IOException e) {
                log.debug("Cannot tell the edge: {}", e.toString());
            }
            exit.onExit(1, message);
        }

        @Override
        public void destroy(ChannelSession channel) {
            // nothing held
        }
    }

    @Override
    public void start() {
        running = true;
        if (!properties.enabled()) {
            log.info("The edge listener is off (ferry.edge-listener.enabled=false)");
            return;
        }
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the edge listener on " + properties.bindAddress() + ":"
                    + properties.port(), e);
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(SftpServer.daemonThreads("edge-sweep-"));
        sweeper.scheduleWithFixedDelay(this::closeRevoked, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
        log.info("Edge listener on {}:{}", properties.bindAddress(), port());
    }

    /** Closes the sessions of edges that were revoked (on any node) since they logged in. */
    private void closeRevoked() {
        try {
            Set<String> inUse = new HashSet<>();
            server.getActiveSessions().forEach(s -> {
                String edge = SftpSessions.edge(s);
                if (edge != null) {
                    inUse.add(edge);
                }
            });
            Map<String, String> active = edges.active(inUse);
            for (var session : server.getActiveSessions()) {
                String edge = SftpSessions.edge(session);
                if (edge != null && !Objects.equals(active.get(edge), session.getAttribute(REGISTRATION))) {
                    SftpSessions.withMdc(session, () -> log.info("Closing a session of edge '{}': it was revoked", edge));
                    session.close(true);
                }
            }
        } catch (RuntimeException e) {
            log.warn("Cannot check the edges' registrations: {}", e.toString());
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        try {
            server.stop(false);
        } catch (IOException e) {
            log.warn("The edge listener did not stop cleanly", e);
        } finally {
            workers.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts with the partners' listeners, stops before the database goes away. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }

    public int port() {
        return server.getPort();
    }

    private List<ServerSession> fileSessions() {
        return server.isStarted() ? server.getActiveSessions().stream()
                .filter(s -> s.getAttribute(SftpSessions.ACCOUNT) != null).map(s -> (ServerSession) s).toList()
                : List.of();
    }

    @Override
    public int activeSessions() {
        return fileSessions().size();
    }

    @Override
    public void closeAll(String reason) {
        fileSessions().forEach(session -> {
            SftpSessions.withMdc(session, () -> log.info("Closing the session: {}", reason));
            session.close(true);
        });
    }

    @Override
    public List<SessionInfo> sessions() {
        return fileSessions().stream().map(session -> {
            SessionAccount account = session.getAttribute(SftpSessions.ACCOUNT);
            long in = session instanceof SftpServer.CountingSession c ? c.bytesIn() : 0;
            long out = session instanceof SftpServer.CountingSession c ? c.bytesOut() : 0;
            return new SessionInfo(SftpSessions.sessionId(session), SftpSessions.protocol(session), account.username(),
                    SftpSessions.clientAddress(session), session.getAttribute(SftpSessions.STARTED), in, out);
        }).toList();
    }

    /**
     * What an edge's file session ends with when the cluster ends it (an administrator, the account changed): a
     * disconnect the edge reads as final ({@link EdgeSessions}), so that it does not carry the session over to
     * another node as it does when a node dies.
     */
    private static void endForGood(ServerSession session, String reason) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, EdgeSessions.FINAL + reason);
        } catch (IOException e) {
            session.close(true);
        }
    }

    /**
     * Edge sessions an administrator closed, by id, for {@link EdgeGrants#TTL}: every node hears of a close, so none
     * takes such a session over when the edge asks ({@code resume}), whatever reached the edge of the close.
     */
    private final Map<String, Instant> closedSessions = new ConcurrentHashMap<>();
    private static final int MAX_CLOSED_SESSIONS = 100_000;

    /** Whether an administrator closed the edge session {@code id} (a grant for it is not taken). */
    boolean closedForGood(String id) {
        return id != null && closedSessions.containsKey(id);
    }

    @Override
    public boolean closeSession(String id, String reason) {
        Instant now = Instant.now();
        closedSessions.values().removeIf(at -> at.isBefore(now.minus(EdgeGrants.TTL)));
        if (closedSessions.size() < MAX_CLOSED_SESSIONS) {
            closedSessions.put(id, now);
        }
        for (ServerSession session : fileSessions()) {
            if (id.equals(session.getAttribute(SftpSessions.SESSION_ID))) {
                SftpSessions.withMdc(session, () -> log.info("Closing the session: {}", reason));
                endForGood(session, reason);
                return true;
            }
        }
        return false;
    }

    @Override
    public int closeAccount(String username, String reason) {
        int closed = 0;
        for (ServerSession session : fileSessions()) {
            if (username.equals(session.getAttribute(SftpSessions.ACCOUNT).username())) {
                SftpSessions.withMdc(session, () -> log.info("Closing the session of {}: {}", username, reason));
                endForGood(session, reason);
                closed++;
            }
        }
        return closed;
    }
}
