package io.ferry.edge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKey;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.LogText;
import io.ferry.common.ssh.SshAlgorithms;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The partners' SFTP listener at the edge. It presents the cluster's host key, checks a partner's password or public
 * key with a node that serves partners (which answers with a one-time ticket), and only then opens the partner's
 * file session on that node, with the ticket, and relays the SFTP channels packet by packet. Nothing is written to
 * disk. A session whose node dies is carried over to another node ({@link NodeLink}, {@link SftpChannelRelay}). This
 * class is the listener, its door and its lifecycle; the logins are in {@link EdgeSftpLogins}, the relay in
 * {@link SftpRelay}.
 */
public final class EdgeSftpServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EdgeSftpServer.class);

    /** The partner's address, as the door admitted it. */
    static final AttributeKey<String> ADDRESS = new AttributeKey<>();
    /** The partner session's id (SessionIds), in this edge's log lines and, through the login, the node's. */
    static final AttributeKey<String> SESSION = new AttributeKey<>();
    private static final AttributeKey<Boolean> LOGGED_IN = new AttributeKey<>();
    /** SFTP channels one partner's session may have open at once. */
    static final int MAX_CHANNELS = 10;

    private final EdgeProperties properties;
    private final Backends backends;
    private final SshServer server;
    private final ExecutorService workers;
    private final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor(
            Backends.daemon("edge-auth-timeout-"));
    private volatile boolean running;
    private Thread starter;
    /** Where the cluster's run-time algorithm lists come from, as errors name them. */
    private static final String RUNTIME_SETTING = "the cluster's run-time setting sftp.";

    /**
     * Offers partners the cluster's run-time SSH algorithm lists (blank: the defaults), from their next session on;
     * lists this edge's JVM cannot provide leave the offer as it was.
     */
    private void offer(Map<String, String> runtime) {
        try {
            SshAlgorithms.applyRuntime(runtime, server, RUNTIME_SETTING);
            log.info("SSH algorithms offered to partners: ciphers {}, MACs {}, key exchanges {}",
                    LogText.quoted(shown(runtime, "ciphers")), LogText.quoted(shown(runtime, "macs")),
                    LogText.quoted(shown(runtime, "kex-algorithms")));
        } catch (IllegalArgumentException e) {
            log.warn("The cluster's SSH algorithm lists are not taken, the edge keeps its offer: {}",
                    LogText.escaped(e.getMessage()));
        }
    }

    private static String shown(Map<String, String> runtime, String list) {
        String value = runtime.getOrDefault(list, "");
        return value.isBlank() ? "default" : value;
    }

    public EdgeSftpServer(EdgeProperties properties, Backends backends, Door door, MeterRegistry meters) {
        this.properties = properties;
        this.backends = backends;
        this.workers = Executors.newCachedThreadPool(Backends.daemon("edge-sftp-"));
        SftpRelay relay = new SftpRelay(backends, properties.failover(), meters, workers,
                properties.backendTimeout().multipliedBy(10));
        EdgeSftpLogins logins = new EdgeSftpLogins(new NodeLogins(backends, door, meters), workers);
        server = SshServer.setUpDefaultServer();
        server.setHost(properties.sftp().bindAddress());
        server.setPort(properties.sftp().port());
        SshAlgorithms.applyServer(SshAlgorithms.Lists.DEFAULTS, server, RUNTIME_SETTING);
        backends.onAlgorithms(this::offer);
        // authentication: always by a node, before any file session
        server.setPasswordAuthenticator(logins::password);
        server.setPublickeyAuthenticator(logins::publicKey);
        server.setUserAuthFactories(List.of(UserAuthPasswordFactory.INSTANCE, new UserAuthPublicKeyFactory() {
            @Override
            public UserAuthPublicKey createUserAuth(ServerSession session) {
                return logins.new ForwardingPublicKeyAuth();
            }
        }));
        server.setKeyboardInteractiveAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setShellFactory(null);
        server.setCommandFactory(null);
        server.setSubsystemFactories(List.of(relay));
        // Admission at session creation, not in an IoServiceEventListener: MINA leaves a connection its listener
        // refused open, which would let a slowloris hold sockets.
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                String address = address(session.getRemoteAddress());
                String id = SessionIds.next();
                Optional<String> refused = door.admit(address);
                if (refused.isPresent()) {
                    SessionIds.withMdc("sftp", id, address,
                            () -> log.info("Connection from {} refused: {}", address, refused.get()));
                    try {
                        session.disconnect(SshConstants.SSH2_DISCONNECT_TOO_MANY_CONNECTIONS, refused.get());
                    } catch (IOException e) {
                        session.close(true);
                    }
                    return;
                }
                session.setAttribute(ADDRESS, address);
                session.setAttribute(SESSION, id);
                SessionIds.withMdc("sftp", id, address, () -> log.info("Connection from {}", address));
                // the whole way to a login (key exchange included) within the authentication timeout
                timeouts.schedule(() -> {
                    if (session.isOpen() && !session.isAuthenticated()) {
                        SessionIds.withMdc("sftp", id, address, () -> log.info("{} did not log in within {}: closed",
                                address, properties.limits().authTimeout()));
                        session.close(true);
                    }
                }, properties.limits().authTimeout().toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public void sessionEvent(Session session, Event event) {
                if (event == Event.Authenticated && session.getAttribute(ADDRESS) != null
                        && session.setAttribute(LOGGED_IN, Boolean.TRUE) == null) {
                    door.loggedIn();
                }
            }

            @Override
            public void sessionClosed(Session session) {
                String address = session.getAttribute(ADDRESS);
                if (address != null) {
                    door.closed(address, Boolean.TRUE.equals(session.getAttribute(LOGGED_IN)));
                }
                SftpRelay.partnerClosed(session);
            }
        });
        Gauge.builder("ferry.edge.sessions", server, s -> s.isStarted() ? s.getActiveSessions().size() : 0)
                .tag("protocol", "sftp").description("partner sessions open at this edge").register(meters);
        CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "Ferry");
        CoreModuleProperties.AUTH_TIMEOUT.set(server, properties.limits().authTimeout());
        CoreModuleProperties.IDLE_TIMEOUT.set(server, properties.limits().idleTimeout());
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, properties.limits().maxAuthAttempts());
        // each SFTP channel holds a packet being read and, for failover, what it sent of an upload: a partner's
        // session has a few (clients open one or two)
        CoreModuleProperties.MAX_CONCURRENT_CHANNELS.set(server, MAX_CHANNELS);
        CoreModuleProperties.WINDOW_SIZE.set(server, properties.sftp().windowSize());
        CoreModuleProperties.TCP_NODELAY.set(server, true);
        CoreModuleProperties.NIO2_READ_BUFFER_SIZE.set(server, 256 * 1024);
        // larger SSH packets from clients that take the offer (OpenSSH does), as the nodes allow: fewer packets to
        // decrypt and relay per GiB
        CoreModuleProperties.MAX_PACKET_SIZE.set(server, 128L * 1024);
        // a burst of partners connecting at once waits in the kernel's queue instead of being dropped (Java's
        // default backlog is 50)
        CoreModuleProperties.SOCKET_BACKLOG.set(server, 1024);
        // a public-key login waits on the I/O thread for the node's answer (MINA takes no asynchronous answer
        // there): more I/O threads keep a burst of logins from queueing behind each other
        CoreModuleProperties.NIO_WORKERS.set(server, Math.max(16, Runtime.getRuntime().availableProcessors() * 4));
    }

    private static String address(SocketAddress remote) {
        if (remote instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return String.valueOf(remote);
    }

    @Override
    public void start() {
        running = true;
        if (!properties.sftp().enabled()) {
            log.info("SFTP is off at this edge (ferry.edge.sftp.enabled=false)");
            return;
        }
        // The listener opens once a node has given the cluster's host key: partners never see another identity.
        starter = new Thread(() -> {
            try {
                server.setKeyPairProvider(KeyPairProvider.wrap(backends.awaitHostKeys()));
                synchronized (this) {
                    if (running) {
                        server.start();
                        log.info("SFTP listening on {}:{}", properties.sftp().bindAddress(), server.getPort());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                log.error("Cannot open SFTP on {}:{}", properties.sftp().bindAddress(), properties.sftp().port(), e);
            }
        }, "edge-sftp-start");
        starter.setDaemon(true);
        starter.start();
    }

    /** Whether the listener is open (it waits for a node's host key first). */
    public boolean listening() {
        return server.isStarted() && server.isOpen();
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (starter != null) {
            starter.interrupt();
        }
        try {
            server.stop(false);
        } catch (IOException e) {
            log.warn("SFTP did not stop cleanly", e);
        }
        workers.shutdownNow();
        timeouts.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }
}
