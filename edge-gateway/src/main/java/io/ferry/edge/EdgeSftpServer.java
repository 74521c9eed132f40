package io.ferry.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.channel.ChannelDataReceiver;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.server.command.AsyncCommand;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.LogText;
import io.ferry.common.ssh.SshAlgorithms;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The partners' SFTP listener at the edge. It presents the cluster's host key, checks a partner's password or public
 * key with a node that serves partners (which answers with a one-time ticket), and only then opens the partner's
 * file session on that node, with the ticket, and relays the SFTP channel byte for byte. Nothing is written to disk.
 * A session the node drops (the node died) is dropped for the partner too, whose client reconnects and is routed to
 * a node that serves.
 */
public final class EdgeSftpServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EdgeSftpServer.class);

    /** The node and ticket a partner's login earned. */
    record Admission(Backend backend, String ticket, String username, String keyFingerprint) {
    }

    static final AttributeKey<Admission> ADMISSION = new AttributeKey<>();
    static final AttributeKey<ClientSession> RELAY = new AttributeKey<>();
    static final AttributeKey<String> ADDRESS = new AttributeKey<>();
    /** The partner session's id (SessionIds), in this edge's log lines and, through the login, the node's. */
    static final AttributeKey<String> SESSION = new AttributeKey<>();

    private final EdgeProperties properties;
    private final Backends backends;
    private final Door door;
    private final MeterRegistry meters;
    private final SshServer server;
    private final ExecutorService workers;
    private final ScheduledExecutorService timeouts = Executors.newSingleThreadScheduledExecutor(
            Backends.daemon("edge-auth-timeout-"));
    private final Counter uploaded;
    private final Counter downloaded;
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
            SshAlgorithms.applyServer(SshAlgorithms.Lists.DEFAULTS.with(runtime), server, RUNTIME_SETTING);
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
        this.door = door;
        this.meters = meters;
        this.workers = Executors.newCachedThreadPool(Backends.daemon("edge-sftp-"));
        this.uploaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "upload")
                .baseUnit("bytes").description("bytes relayed from partners to nodes").register(meters);
        this.downloaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "download")
                .baseUnit("bytes").description("bytes relayed from nodes to partners").register(meters);
        server = SshServer.setUpDefaultServer();
        server.setHost(properties.sftp().bindAddress());
        server.setPort(properties.sftp().port());
        SshAlgorithms.applyServer(SshAlgorithms.Lists.DEFAULTS, server, RUNTIME_SETTING);
        backends.onAlgorithms(this::offer);
        server.setPasswordAuthenticator(this::password);
        server.setPublickeyAuthenticator(this::publicKey);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setHostBasedAuthenticator(null);
        server.setGSSAuthenticator(null);
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        server.setShellFactory(null);
        server.setCommandFactory(null);
        server.setSubsystemFactories(List.of(new SubsystemFactory() {
            @Override
            public String getName() {
                return "sftp";
            }

            @Override
            public Command createSubsystem(ChannelSession channel) {
                return new Relay(channel);
            }
        }));
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
                    session.close(true);
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
            public void sessionClosed(Session session) {
                String address = session.getAttribute(ADDRESS);
                if (address != null) {
                    door.closed(address);
                }
                ClientSession relay = session.getAttribute(RELAY);
                if (relay != null) {
                    relay.close(false);
                }
            }
        });
        Gauge.builder("ferry.edge.sessions", server, s -> s.isStarted() ? s.getActiveSessions().size() : 0)
                .tag("protocol", "sftp").description("partner sessions open at this edge").register(meters);
        CoreModuleProperties.SERVER_IDENTIFICATION.set(server, "Ferry");
        CoreModuleProperties.AUTH_TIMEOUT.set(server, properties.limits().authTimeout());
        CoreModuleProperties.IDLE_TIMEOUT.set(server, properties.limits().idleTimeout());
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(server, properties.limits().maxAuthAttempts());
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

    // ---- authentication: always by a node, before any file session

    private boolean password(String username, String password, ServerSession session) {
        AsyncAuthException result = new AsyncAuthException();
        workers.execute(() -> {
            boolean accepted;
            try {
                Properties request = new Properties();
                request.setProperty("password", password);
                accepted = admit(session, username, request, "password", null);
            } catch (RuntimeException e) {
                log.error("Authentication of '{}' failed with an error", username, e);
                accepted = false;
            }
            result.setAuthed(accepted);
        });
        throw result;
    }

    /**
     * Runs on an I/O thread (MINA takes no asynchronous answer here); MINA asks twice for a key it accepts, first
     * for the key alone, then with the signature, so the node's answer to the first is kept for the second.
     */
    private boolean publicKey(String username, PublicKey key, ServerSession session) {
        String fingerprint = KeyUtils.getFingerPrint(key);
        Admission known = session.getAttribute(ADMISSION);
        if (known != null && fingerprint.equals(known.keyFingerprint()) && username.equals(known.username())) {
            return true;
        }
        Properties request = new Properties();
        request.setProperty("publicKey", PublicKeyEntry.toString(key));
        return admit(session, username, request, "publickey", fingerprint);
    }

    private boolean admit(ServerSession session, String username, Properties request, String method,
            String keyFingerprint) {
        SessionIds.put("sftp", session.getAttribute(SESSION), session.getAttribute(ADDRESS));
        try {
            return decide(session, username, request, method, keyFingerprint);
        } finally {
            SessionIds.clear();
        }
    }

    /** Logs with the partner session's id and address in the MDC. */
    private static void withMdc(Session session, Runnable logging) {
        SessionIds.withMdc("sftp", session.getAttribute(SESSION), session.getAttribute(ADDRESS), logging);
    }

    private boolean decide(ServerSession session, String username, Properties request, String method,
            String keyFingerprint) {
        String address = session.getAttribute(ADDRESS);
        String id = session.getAttribute(SESSION);
        if (id != null) {
            request.setProperty("session", id);
        }
        if (door.banned(address)) {
            session.close(true);
            return false;
        }
        request.setProperty("username", username);
        request.setProperty("address", address);
        List<Backend> candidates = backends.candidates(address);
        if (candidates.isEmpty()) {
            meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
            log.warn("No node serves partners now: '{}' from {} is turned away", username, address);
            disconnect(session, "no transfer node is available; please try again later");
            return false;
        }
        for (Backend backend : candidates) {
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
                session.setAttribute(ADMISSION, new Admission(backend, answer.getProperty("ticket"), username,
                        keyFingerprint));
                meters.counter("ferry.edge.auth", "method", method, "outcome", "success").increment();
                meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "chosen").increment();
                log.info("'{}' from {} authenticated ({}) by node {}", username, address, method, backend.name());
                return true;
            }
            if ("not-serving".equals(answer.getProperty("reason"))) {
                continue; // stopped serving since its last status: ask the next
            }
            if ("banned".equals(answer.getProperty("reason"))) {
                door.bannedUntil(address, java.time.Instant.ofEpochMilli(Long.parseLong(answer.getProperty("until"))));
                meters.counter("ferry.edge.auth", "method", method, "outcome", "banned").increment();
                log.info("'{}' from {} refused: the cluster banned the address", username, address);
                disconnect(session, "too many failed logins");
                return false;
            }
            meters.counter("ferry.edge.auth", "method", method, "outcome", "failure").increment();
            if (keyFingerprint == null) {
                // a key a client merely offers is not a failure: clients try each key they have
                log.info("Authentication ({}) of '{}' from {} failed", method, username, address);
                if (door.failed(address)) {
                    disconnect(session, "too many failed logins");
                }
            }
            return false;
        }
        meters.counter("ferry.edge.routing", "backend", "none", "outcome", "no-node").increment();
        disconnect(session, "no transfer node is available; please try again later");
        return false;
    }

    private static void disconnect(ServerSession session, String message) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_SERVICE_NOT_AVAILABLE, message);
        } catch (IOException e) {
            session.close(true);
        }
    }

    /** The partner's file session on its node, opened with the ticket on the first SFTP channel, kept for more. */
    private ClientSession relaySession(ServerSession session) throws IOException {
        synchronized (session) {
            ClientSession relay = session.getAttribute(RELAY);
            if (relay != null && relay.isOpen()) {
                return relay;
            }
            Admission admission = session.getAttribute(ADMISSION);
            if (admission == null || relay != null) {
                throw new IOException("the session has no admission for another file session");
            }
            Backend backend = admission.backend();
            ClientSession opened = backend.fileSession(admission.ticket());
            backend.relayed().incrementAndGet();
            opened.addCloseFutureListener(f -> {
                backend.relayed().decrementAndGet();
                if (session.isOpen()) {
                    withMdc(session, () -> log.info("Node {} ended the session of '{}'", backend.name(),
                            admission.username()));
                    session.close(false);
                }
            });
            session.setAttribute(RELAY, opened);
            if (!session.isOpen()) {
                opened.close(true); // the partner left while its file session opened: nothing will close it
                throw new IOException("the partner's session closed");
            }
            return opened;
        }
    }

    /**
     * The SFTP subsystem at the edge: the partner's channel and the node's, joined without a stream in between. What
     * the partner sends is handed to the node's channel as it arrives, and the partner's window reopens only when
     * the node's channel has taken it; the same the other way. So each side's SSH window throttles the other, memory
     * is bounded by the windows, and no thread blocks. (MINA's asynchronous input streams compact their buffer on
     * every read, which copied megabytes per packet here.)
     */
    private final class Relay implements AsyncCommand {
        private final ChannelSession partnerChannel;
        private IoOutputStream partnerOut;
        private ExitCallback exit;
        private volatile NodeChannel channel;
        private volatile Writer toNode;
        private final java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        /** What the partner sent before the node's channel was open. */
        private final List<byte[]> early = new java.util.ArrayList<>();
        private boolean partnerDone;
        private volatile Writer toPartner;

        Relay(ChannelSession partnerChannel) {
            this.partnerChannel = partnerChannel;
            partnerChannel.setDataReceiver(new ChannelDataReceiver() {
                @Override
                public int data(ChannelSession ch, byte[] buf, int start, int len) {
                    byte[] copy = java.util.Arrays.copyOfRange(buf, start, start + len);
                    uploaded.increment(len);
                    synchronized (Relay.this) {
                        if (toNode == null) {
                            early.add(copy);
                            return 0; // the window reopens once the node's channel took it
                        }
                        // queued in arrival order, under the lock that also queued the early bytes first
                        toNode.write(new ByteArrayBuffer(copy), () -> release(ch, len));
                    }
                    return 0;
                }

                @Override
                public void close() {
                    // the partner is done sending (EOF or close): the node's channel closes after what is queued
                    synchronized (Relay.this) {
                        partnerDone = true;
                        if (toNode != null) {
                            toNode.then(Relay.this::closeNode);
                        }
                    }
                }
            });
        }

        private void closeNode() {
            NodeChannel open = channel;
            if (open != null) {
                open.close(false);
            }
        }

        private void release(ChannelSession ch, long len) {
            try {
                ch.getLocalWindow().release(len);
            } catch (IOException e) {
                ch.close(true);
            }
        }

        @Override
        public void setIoInputStream(IoInputStream in) {
            // not used: the data receiver takes the partner's bytes
        }

        @Override
        public void setIoOutputStream(IoOutputStream out) {
            this.partnerOut = out;
        }

        @Override
        public void setIoErrorStream(IoOutputStream err) {
            // the node's error stream is not relayed (an SFTP server writes nothing there)
        }

        @Override
        public void setInputStream(InputStream in) {
            // the asynchronous streams are used
        }

        @Override
        public void setOutputStream(OutputStream out) {
            // the asynchronous streams are used
        }

        @Override
        public void setErrorStream(OutputStream err) {
            // the asynchronous streams are used
        }

        @Override
        public void setExitCallback(ExitCallback exit) {
            this.exit = exit;
        }

        @Override
        public void start(ChannelSession ignored, Environment env) {
            ServerSession session = partnerChannel.getServerSession();
            Writer partnerWriter = new Writer(partnerOut, () -> end(1));
            toPartner = partnerWriter;
            workers.execute(() -> {
                try {
                    ClientSession relay = relaySession(session);
                    NodeChannel sftp = new NodeChannel(partnerWriter);
                    relay.getService(ConnectionService.class).registerChannel(sftp);
                    sftp.setStreaming(ClientChannel.Streaming.Async);
                    channel = sftp;
                    // the partner hears the end only after every answer the node sent is written to it
                    sftp.addCloseFutureListener(f -> partnerWriter.then(
                            () -> end(sftp.getExitStatus() == null ? 0 : sftp.getExitStatus())));
                    sftp.open().verify(properties.backendTimeout().multipliedBy(10));
                    if (!partnerChannel.isOpen() || !session.isOpen()) {
                        sftp.close(true); // the partner left while the node's channel opened
                        return;
                    }
                    Writer writer = new Writer(sftp.getAsyncIn(), () -> sftp.close(true));
                    synchronized (this) {
                        for (byte[] bytes : early) {
                            writer.write(new ByteArrayBuffer(bytes), () -> release(partnerChannel, bytes.length));
                        }
                        early.clear();
                        toNode = writer;
                        if (partnerDone) {
                            writer.then(this::closeNode);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    withMdc(session, () -> log.warn("Relaying SFTP for {} from {} failed: {}", session.getUsername(),
                            session.getAttribute(ADDRESS), e.toString()));
                    end(1);
                }
            });
        }

        private void end(int status) {
            if (ended.compareAndSet(false, true)) {
                exit.onExit(status);
            }
        }

        @Override
        public void destroy(ChannelSession partnerChannel) {
            NodeChannel open = channel;
            if (open != null) {
                open.close(false);
            }
        }
    }

    /** The node's side of a relay: what the node sends goes straight to the partner's channel. */
    private final class NodeChannel extends ChannelSubsystem {
        private final Writer toPartner;

        NodeChannel(Writer toPartner) {
            super("sftp");
            this.toPartner = toPartner;
        }

        @Override
        protected void doWriteData(byte[] data, int off, long len) {
            downloaded.increment(len);
            toPartner.write(new ByteArrayBuffer(java.util.Arrays.copyOfRange(data, off, off + (int) len)), () -> {
                try {
                    getLocalWindow().release(len);
                } catch (IOException e) {
                    close(true);
                }
            });
        }

        @Override
        protected void doWriteExtendedData(byte[] data, int off, long len) throws IOException {
            getLocalWindow().release(len); // an SFTP server's error stream: nothing a partner needs
        }
    }

    /**
     * Writes buffers to an asynchronous stream one after another (MINA's channel streams take one write at a time),
     * running each buffer's callback once it is written; the first failure runs {@code onError}.
     */
    private static final class Writer {
        private final IoOutputStream out;
        private final Runnable onError;
        private final java.util.ArrayDeque<Object[]> queue = new java.util.ArrayDeque<>();
        private boolean writing;

        Writer(IoOutputStream out, Runnable onError) {
            this.out = out;
            this.onError = onError;
        }

        /** Runs {@code action} once everything queued so far is written (at once if nothing is). */
        void then(Runnable action) {
            write(null, action);
        }

        void write(Buffer buffer, Runnable written) {
            synchronized (this) {
                queue.add(new Object[] {buffer, written});
                if (writing) {
                    return;
                }
                writing = true;
            }
            next();
        }

        private void next() {
            Object[] item;
            synchronized (this) {
                item = queue.poll();
                if (item == null) {
                    writing = false;
                    return;
                }
            }
            if (item[0] == null) { // a marker: everything before it is written
                ((Runnable) item[1]).run();
                next();
                return;
            }
            try {
                out.writeBuffer((Buffer) item[0]).addListener(f -> {
                    if (f.getException() != null) {
                        onError.run();
                        return;
                    }
                    ((Runnable) item[1]).run();
                    next();
                });
            } catch (IOException | RuntimeException e) {
                onError.run();
            }
        }
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
