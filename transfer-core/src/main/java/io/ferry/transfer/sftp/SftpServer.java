package io.ferry.transfer.sftp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.SftpModuleProperties;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.LogText;
import io.ferry.common.ssh.SshAlgorithms;
import io.ferry.transfer.node.RuntimeSettings;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.node.SessionHost;
import io.ferry.transfer.session.PartnerDoor;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;

/**
 * The SFTP listener: an Apache MINA SSHD server that offers only the {@code sftp} subsystem (no shell, no exec, no
 * forwarding), authenticates against Ferry's accounts and jails each session in its account's home.
 */
public final class SftpServer implements SmartLifecycle, SessionHost {

    private static final Logger log = LoggerFactory.getLogger(SftpServer.class);
    /** The address a session was let in from, by the door (it counts the session until it ends). */
    private static final AttributeKey<String> ADMITTED = new AttributeKey<>();
    private static final AttributeKey<Boolean> LOGGED_IN = new AttributeKey<>();
    /** Where the algorithm lists are configured, as errors name them. */
    private static final String PROPERTIES = "ferry.sftp.";

    private final SftpProperties properties;
    private final ListeningSshServer server;
    private final ExecutorService authExecutor;
    private final ServingState serving;
    private final PartnerLogins logins;
    private final SftpAuthenticator authenticator;
    private final PartnerDoor door;
    private volatile boolean running;

    /** A server session whose byte counters can be read. */
    static final class CountingSession extends org.apache.sshd.server.session.ServerSessionImpl {
        CountingSession(org.apache.sshd.server.ServerFactoryManager server, org.apache.sshd.common.io.IoSession io)
                throws Exception {
            super(server, io);
        }

        long bytesIn() {
            return inBytesCount.get();
        }

        long bytesOut() {
            return outBytesCount.get();
        }

        /** As MINA's, with the name the client sent escaped: MINA's own log lines show sessions by this. */
        @Override
        public String toString() {
            return getClass().getSimpleName() + "[" + LogText.escaped(String.valueOf(getUsername())) + "@"
                    + getIoSession().getRemoteAddress() + "]";
        }
    }

    /** MINA's SshServer with its acceptor opened and closed apart from its sessions. */
    static final class ListeningSshServer extends SshServer {
        @Override
        protected org.apache.sshd.server.session.SessionFactory createSessionFactory() {
            return new org.apache.sshd.server.session.SessionFactory(this) {
                @Override
                protected org.apache.sshd.server.session.ServerSessionImpl doCreateSession(
                        org.apache.sshd.common.io.IoSession io) throws Exception {
                    return new CountingSession(getServer(), io);
                }
            };
        }

        /** Stops accepting connections; sessions already open go on. */
        synchronized void closeListener() {
            if (acceptor != null) {
                acceptor.unbind();
            }
        }

        /** Accepts connections again, on the port it had. */
        synchronized void openListener() throws IOException {
            if (acceptor != null && acceptor.getBoundAddresses().isEmpty()) {
                acceptor.bind(new java.net.InetSocketAddress(getHost(), getPort()));
            }
        }
    }

    public SftpServer(SftpProperties properties, HostKeyStore hostKeys, PartnerLogins logins, Transfers transfers,
            ServingState serving) {
        this.properties = properties;
        this.serving = serving;
        this.server = base(properties, hostKeys.loadOrCreate(), transfers);
        server.setHost(properties.bindAddress());
        server.setPort(properties.port());
        this.authExecutor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                daemonThreads("sftp-auth-"));
        this.logins = logins;
        this.authenticator = new SftpAuthenticator(logins, authExecutor);
        server.setPasswordAuthenticator(authenticator);
        server.setPublickeyAuthenticator(authenticator);
        // sessions one account may have at once (MINA refuses the login past it)
        CoreModuleProperties.MAX_CONCURRENT_SESSIONS.set(server, properties.maxSessionsPerAccount());
        this.door = new PartnerDoor("sftp", properties.limits(), logins);
        server.addSessionListener(new org.apache.sshd.common.session.SessionListener() {
            @Override
            public void sessionCreated(org.apache.sshd.common.session.Session session) {
                admit(session);
            }

            @Override
            public void sessionClosed(org.apache.sshd.common.session.Session session) {
                String address = session.getAttribute(ADMITTED);
                if (address != null) {
                    door.closed(address, Boolean.TRUE.equals(session.getAttribute(LOGGED_IN)));
                }
            }

            @Override
            public void sessionEvent(org.apache.sshd.common.session.Session session, Event event) {
                if (event == Event.Authenticated && session instanceof ServerSession server) {
                    if (server.getAttribute(ADMITTED) != null && server.setAttribute(LOGGED_IN, Boolean.TRUE) == null) {
                        door.loggedIn();
                    }
                    authenticator.authenticated(server);
                }
            }
        });
    }

    /** Run-time setting names of the partners' SSH algorithm lists: {@code sftp.ciphers}, and so on. */
    public static String setting(String list) {
        return "sftp." + list;
    }

    /**
     * The SSH algorithm lists an administrator may change while the cluster runs (blank: the node's configured
     * {@code ferry.sftp.*} list); checked against what this JVM provides.
     */
    public static List<RuntimeSettings.Definition> runtimeSettings() {
        List<RuntimeSettings.Definition> definitions = new ArrayList<>();
        for (String list : SshAlgorithms.RUNTIME) {
            definitions.add(new RuntimeSettings.Definition(setting(list), "",
                    "SSH " + list.replace('-', ' ') + " offered to partners, in preference order, for sessions that "
                            + "start after a change; empty: ferry.sftp." + list,
                    value -> SshAlgorithms.check(list, value)));
        }
        return definitions;
    }

    /** Applies the run-time algorithm lists now, and again after every change. */
    public void follow(RuntimeSettings settings) {
        Runnable apply = () -> SshAlgorithms.applyServer(properties.algorithms().with(runtimeAlgorithms(settings)),
                server, PROPERTIES);
        apply.run();
        settings.onReload(apply);
    }



    /**
     * The run-time algorithm lists by list name ({@code ciphers}, ...; blank: the configured list), as the node
     * applies them and tells its edges.
     */
    public static Map<String, String> runtimeAlgorithms(RuntimeSettings settings) {
        Map<String, String> lists = new HashMap<>();
        for (String list : SshAlgorithms.RUNTIME) {
            lists.put(list, settings.value(setting(list)));
        }
        return lists;
    }

    /**
     * Lets a new session in through the door (bans, the listener's limits) before anything else happens on it, or
     * disconnects it with the reason.
     */
    private void admit(org.apache.sshd.common.session.Session session) {
        String address = SftpSessions.clientAddress(session);
        @SuppressWarnings("unchecked")
        Optional<String>[] answer = new Optional[1];
        SftpSessions.withMdc(session, () -> answer[0] = door.admit(address)); // its log line names the session
        Optional<String> refused = answer[0];
        if (refused.isPresent()) {
            try {
                session.disconnect(SshConstants.SSH2_DISCONNECT_TOO_MANY_CONNECTIONS, refused.get());
            } catch (IOException e) {
                session.close(true);
            }
            return;
        }
        session.setAttribute(ADMITTED, address);
    }

    /**
     * An SSH server with Ferry's SFTP subsystem, host keys, algorithm policy and tuning, and no authentication yet:
     * the partners' listener and the edges' internal listener differ only in who may log in and how.
     */
    static ListeningSshServer base(SftpProperties properties, List<java.security.KeyPair> hostKeys,
            Transfers transfers) {
        ListeningSshServer server = (ListeningSshServer) org.apache.sshd.server.ServerBuilder.builder()
                .factory(ListeningSshServer::new).build();
        server.setKeyPairProvider(KeyPairProvider.wrap(hostKeys));
        SshAlgorithms.applyServer(properties.algorithms(), server, PROPERTIES);
        server.setHostBasedAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setShellFactory(null);
        server.setCommandFactory(null);
        server.setFileSystemFactory(new JailFileSystemFactory());
        server.addSessionListener(new SftpSessions());

        SftpSubsystemFactory sftp = new FerrySftpSubsystem.Factory();
        sftp.setFileSystemAccessor(new FerrySftpAccessor(transfers));
        sftp.setErrorStatusDataHandler(new StorageMessages());
        sftp.addSftpEventListener(new SftpSessionListener());
        server.setSubsystemFactories(List.of(sftp));

        CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "Ferry");
        CoreModuleProperties.IDLE_TIMEOUT.set(server, nonNegative(properties.idleTimeout()));
        CoreModuleProperties.AUTH_TIMEOUT.set(server, properties.authTimeout());
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, properties.maxAuthAttempts());
        CoreModuleProperties.WINDOW_SIZE.set(server, properties.windowSize().toBytes());
        CoreModuleProperties.TCP_NODELAY.set(server, true);
        // Larger SSH packets from clients that take the offer (OpenSSH does): fewer packets to decrypt and dispatch
        // per GiB. 128 KiB stays well inside OpenSSH's 256 KiB transport limit; 256 KiB makes it drop the
        // connection. Read the socket in 256 KiB at a time. (bench/sftp.sh, docs/performance.md)
        CoreModuleProperties.MAX_PACKET_SIZE.set(server, 128L * 1024);
        CoreModuleProperties.NIO2_READ_BUFFER_SIZE.set(server, 256 * 1024);
        // a burst of connections (hundreds of partners at once, or an edge opening their sessions) waits in the
        // kernel's queue instead of being dropped: Java's default backlog is 50
        CoreModuleProperties.SOCKET_BACKLOG.set(server, 1024);
        SftpModuleProperties.MAX_READDATA_PACKET_LENGTH.set(server, properties.maxReadPacket());
        // what one session may hold open: channels (OpenSSH's 10) and SFTP handles
        // (MINA refuses a new channel once more than its setting are open: one less lets the configured number in)
        CoreModuleProperties.MAX_CONCURRENT_CHANNELS.set(server, properties.maxChannelsPerSession() - 1);
        SftpModuleProperties.MAX_OPEN_HANDLES_PER_SESSION.set(server, properties.maxHandlesPerSession());
        // SFTP v3, what OpenSSH and nearly every partner client speak; the later drafts add surface, not value
        SftpModuleProperties.SFTP_VERSION.set(server, 3);
        return server;
    }

    private static Duration nonNegative(Duration d) {
        return d.isNegative() ? Duration.ZERO : d;
    }

    @Override
    public void start() {
        running = true;
        if (!properties.enabled()) {
            log.info("SFTP is disabled (ferry.sftp.enabled=false)");
            return;
        }
        serving.onChange(this::follow);
        follow(serving.serving());
    }

    /** Opens the listener while the node serves partners, closes it while it does not. */
    private synchronized void follow(boolean open) {
        if (!running) {
            return;
        }
        try {
            if (open && !server.isStarted()) {
                server.start();
                log.info("SFTP listening on {}:{}", properties.bindAddress(), port());
            } else if (open) {
                server.openListener();
                log.info("SFTP listening again on {}:{}", properties.bindAddress(), port());
            } else if (server.isStarted()) {
                server.closeListener();
                log.info("SFTP listener closed: this node does not serve partners now (open sessions go on)");
            } else {
                log.info("SFTP listener stays closed: this node does not serve partners now");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open SFTP on " + properties.bindAddress() + ":"
                    + properties.port(), e);
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        try {
            server.stop(false);
        } catch (IOException e) {
            log.warn("SFTP listener did not stop cleanly", e);
        } finally {
            authExecutor.shutdownNow();
        }
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int activeSessions() {
        return server.isStarted() ? server.getActiveSessions().size() : 0;
    }

    @Override
    public void closeAll(String reason) {
        if (server.isStarted()) {
            server.getActiveSessions().forEach(session -> {
                log.info("Closing SFTP session {}: {}", session, reason);
                session.close(true);
            });
        }
    }

    @Override
    public List<io.ferry.transfer.node.SessionInfo> sessions() {
        if (!server.isStarted()) {
            return List.of();
        }
        return server.getActiveSessions().stream().map(session -> {
            SessionAccount account = session.getAttribute(SftpSessions.ACCOUNT);
            java.time.Instant started = session.getAttribute(SftpSessions.STARTED);
            long in = session instanceof CountingSession c ? c.bytesIn() : 0;
            long out = session instanceof CountingSession c ? c.bytesOut() : 0;
            return new io.ferry.transfer.node.SessionInfo(SftpSessions.sessionId(session), SftpSessions.PROTOCOL,
                    account == null ? null : account.username(), SftpSessions.clientAddress(session), started, in, out);
        }).toList();
    }

    @Override
    public boolean closeSession(String id, String reason) {
        if (!server.isStarted()) {
            return false;
        }
        for (var session : server.getActiveSessions()) {
            if (id.equals(session.getAttribute(SftpSessions.SESSION_ID))) {
                log.info("Closing SFTP session {}: {}", id, reason);
                session.close(true);
                return true;
            }
        }
        return false;
    }

    @Override
    public int closeAccount(String username, String reason) {
        if (!server.isStarted()) {
            return 0;
        }
        int closed = 0;
        for (var session : server.getActiveSessions()) {
            SessionAccount account = session.getAttribute(SftpSessions.ACCOUNT);
            if (account != null && account.username().equals(username)) {
                log.info("Closing SFTP session {} of {}: {}", session, username, reason);
                session.close(true);
                closed++;
            }
        }
        return closed;
    }

    /** The bound port (the real one when configured as 0). */
    public int port() {
        return server.getPort();
    }

    /** Starts after the web server, stops before the database goes away. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }
}
