package io.ferry.edge;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.command.CommandFactoryFactory;
import org.apache.ftpserver.command.impl.LIST;
import org.apache.ftpserver.command.impl.MLSD;
import org.apache.ftpserver.command.impl.NLST;
import org.apache.ftpserver.command.impl.PASS;
import org.apache.ftpserver.command.impl.REIN;
import org.apache.ftpserver.command.impl.USER;
import org.apache.ftpserver.ftplet.Authentication;
import org.apache.ftpserver.ftplet.AuthenticationFailedException;
import org.apache.ftpserver.ftplet.Authority;
import org.apache.ftpserver.ftplet.AuthorizationRequest;
import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.DefaultFtplet;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.ftplet.FtpSession;
import org.apache.ftpserver.ftplet.FtpletResult;
import org.apache.ftpserver.ftplet.User;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.impl.IODataConnectionFactory;
import org.apache.ftpserver.listener.Listener;
import org.apache.ftpserver.usermanager.UsernamePasswordAuthentication;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;
import org.apache.sshd.sftp.client.impl.SftpOutputStreamAsync;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.FailureKind;
import io.ferry.common.FtpReplies;
import io.ferry.common.ftp.FtpsCommands;
import io.ferry.common.ftp.FtpsTls;
import io.ferry.common.ftp.LoginDeadline;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;


/**
 * FTPS at the edge, bridged onto SFTP: the partner speaks FTPS (explicit or implicit, passive data on the edge's
 * own ports) to the edge, which presents the cluster's certificate, has the login checked by a node, and runs the
 * partner's operations on an SFTP session to that node (so nodes need no internal FTP listener). Transfers are the
 * edge's own STOR, APPE and RETR: an upload that ends well closes its file on the node, which publishes it and logs
 * it before the partner hears {@code 226}; one that breaks is dropped with its SFTP channel, never closed, so the
 * node keeps it as a partial upload that REST + STOR or APPE resumes.
 */
public final class EdgeFtpsServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EdgeFtpsServer.class);
    private static final int BUFFER = 256 * 1024;
    private static final String ADMITTED = "ferry.edge.admitted";

    private final EdgeProperties properties;
    private final Backends backends;
    private final Door door;
    private final MeterRegistry meters;
    private final Counter uploaded;
    private final Counter downloaded;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private volatile FtpServer server;
    private volatile boolean running;
    private Thread starter;
    private LoginDeadline deadline;

    public EdgeFtpsServer(EdgeProperties properties, Backends backends, Door door, MeterRegistry meters) {
        this.properties = properties;
        this.backends = backends;
        this.door = door;
        this.meters = meters;
        this.uploaded = Counter.builder("ferry.edge.bytes").tag("protocol", "ftps").tag("direction", "upload")
                .baseUnit("bytes").description("bytes relayed from partners to nodes").register(meters);
        this.downloaded = Counter.builder("ferry.edge.bytes").tag("protocol", "ftps").tag("direction", "download")
                .baseUnit("bytes").description("bytes relayed from nodes to partners").register(meters);
        Gauge.builder("ferry.edge.sessions", this, s -> s.sessions()).tag("protocol", "ftps")
                .description("partner sessions open at this edge").register(meters);
    }

    private int sessions() {
        return listeners.values().stream().mapToInt(l -> l.getActiveSessions().size()).sum();
    }

    // ---- the server

    private FtpServer build(TlsIdentity identity) throws GeneralSecurityException {
        FtpsTls tls = new FtpsTls(identity.context(), FtpsTls.DEFAULT_PROTOCOLS, List.of());
        FtpServerFactory factory = new FtpServerFactory();
        factory.setUserManager(new Users());
        factory.setFileSystem(user -> ((EdgeUser) user).view());
        CommandFactoryFactory commands = new CommandFactoryFactory();
        // the edge never allows plain FTP and always requires protected data connections
        commands.addCommand("USER", FtpsCommands.loginNeedsTls(false, new USER()));
        commands.addCommand("PASS", FtpsCommands.loginNeedsTls(false, new PASS()));
        commands.addCommand("LIST", FtpsCommands.dataNeedsProtection(true, new LIST()));
        commands.addCommand("NLST", FtpsCommands.dataNeedsProtection(true, new NLST()));
        commands.addCommand("MLSD", FtpsCommands.dataNeedsProtection(true, new MLSD()));
        commands.addCommand("STOR", FtpsCommands.dataNeedsProtection(true, (s, c, r) -> upload(s, r, false)));
        commands.addCommand("APPE", FtpsCommands.dataNeedsProtection(true, (s, c, r) -> upload(s, r, true)));
        commands.addCommand("RETR", FtpsCommands.dataNeedsProtection(true, (s, c, r) -> download(s, r)));
        // REIN forgets the login without closing the file session FtpServer had it open: close it first
        commands.addCommand("REIN", (s, c, r) -> {
            if (s.getFileSystemView() != null) {
                s.getFileSystemView().dispose();
            }
            new REIN().execute(s, c, r);
        });
        commands.addCommand("STOU", FtpsCommands.stouRefused());
        factory.setCommandFactory(FtpsCommands.noDelay(commands.createCommandFactory()));
        factory.setFtplets(new java.util.HashMap<>(Map.of("door", new DoorFtplet()))); // FtpServer clears it on stop

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(false);
        connections.setMaxLogins(properties.limits().maxSessions());
        connections.setMaxLoginFailures(properties.limits().maxAuthAttempts());
        connections.setLoginFailureDelay(500);
        factory.setConnectionConfig(connections.createConnectionConfig());

        EdgeProperties.Ftps ftps = properties.ftps();
        if (ftps.explicitEnabled()) {
            listeners.put("explicit", tls.listener(listener(ftps.explicitPort(), false)));
        }
        if (ftps.implicitEnabled()) {
            listeners.put("implicit", tls.listener(listener(ftps.implicitPort(), true)));
        }
        factory.setListeners(listeners);
        return factory.createServer();
    }

    /** The edge's listener: passive data on its own ports, never active (it never connects out to a partner). */
    private FtpsTls.ListenerSettings listener(int port, boolean implicit) {
        EdgeProperties.Ftps ftps = properties.ftps();
        Duration idle = properties.limits().idleTimeout();
        return new FtpsTls.ListenerSettings(ftps.bindAddress(), port, implicit, ftps.passivePorts(),
                ftps.passiveAddress(), false, idle, idle);
    }

    /** The door's limits and bans, before any login. */
    private final class DoorFtplet extends DefaultFtplet {
        @Override
        public FtpletResult onConnect(FtpSession session) {
            String address = address(session);
            var refused = door.admit(address);
            if (refused.isPresent()) {
                log.info("FTPS connection from {} refused: {}", address, refused.get());
                return FtpletResult.DISCONNECT;
            }
            session.setAttribute(ADMITTED, address);
            return FtpletResult.DEFAULT;
        }

        @Override
        public FtpletResult onDisconnect(FtpSession session) {
            Object address = session.getAttribute(ADMITTED);
            if (address != null) {
                session.removeAttribute(ADMITTED);
                door.closed((String) address);
            }
            return FtpletResult.DEFAULT;
        }
    }

    private static String address(FtpSession session) {
        InetSocketAddress client = session.getClientAddress();
        return client.getAddress() == null ? client.getHostString() : client.getAddress().getHostAddress();
    }

    // ---- logins: checked by a node

    private final class Users implements UserManager {
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
            String id = org.slf4j.MDC.get("session");
            if (id != null && id.length() >= 12) {
                request.setProperty("session", id.substring(0, 12));
            }
            for (Backend backend : backends.candidates(address)) {
                Properties answer;
                try {
                    answer = backend.request("auth", request);
                } catch (IOException e) {
                    meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "failed")
                            .increment();
                    log.warn("Node {} did not authenticate '{}': {}; trying the next", backend.address(), username,
                            e.getMessage());
                    continue;
                }
                if ("true".equals(answer.getProperty("ok"))) {
                    meters.counter("ferry.edge.auth", "method", "password", "outcome", "success").increment();
                    meters.counter("ferry.edge.routing", "backend", backend.address(), "outcome", "chosen")
                            .increment();
                    log.info("'{}' from {} authenticated (FTPS password) by node {}", username, address,
                            backend.name());
                    return new EdgeUser(username, backend, answer.getProperty("ticket"));
                }
                if ("not-serving".equals(answer.getProperty("reason"))) {
                    continue;
                }
                if ("banned".equals(answer.getProperty("reason"))) {
                    door.bannedUntil(address,
                            java.time.Instant.ofEpochMilli(Long.parseLong(answer.getProperty("until"))));
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
    }

    /** A partner a node authenticated; its files are an SFTP session on that node, opened with the ticket. */
    private static final class EdgeUser implements User {
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

    // ---- transfers

    private void upload(FtpIoSession session, FtpRequest request, boolean append) {
        SftpClient channel = null;
        boolean closed = false;
        try {
            String name = request.getArgument();
            if (name == null || name.isBlank()) {
                reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS,
                        "Syntax: " + request.getCommand() + " <file name>");
                return;
            }
            if (!dataConnectionPrepared(session)) {
                return;
            }
            long offset = session.getFileOffset();
            SftpView view = (SftpView) session.getFileSystemView();
            SftpView.File file = view.getFile(name);
            if (file.isDirectory()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": is a directory");
                return;
            }
            // what the node holds: the file, or for an upload that broke, its resumable part (stat shows it)
            SftpClient.Attributes held;
            try {
                held = file.attributesOrFail();
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, name + ": " + describe(e));
                return;
            }
            long have = held == null ? 0 : held.getSize();
            long start = append ? have : offset;
            if (!append && offset != 0 && have != offset) {
                reply(session, 554, "Cannot resume " + name + " at " + offset + ": the server holds " + have
                        + " bytes of it");
                return;
            }
            channel = view.transferChannel();
            EnumSet<SftpClient.OpenMode> modes = EnumSet.of(SftpClient.OpenMode.Write, SftpClient.OpenMode.Create);
            // without TRUNC the node continues what it holds; STOR from 0 and a new file start afresh (APPE never
            // truncates)
            if (held == null || (!append && offset == 0)) {
                modes.add(SftpClient.OpenMode.Truncate);
            }
            SftpClient.CloseableHandle handle;
            try {
                handle = channel.open(file.path(), modes);
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": " + describe(e));
                return;
            }
            DataConnection data = openData(session, file.path());
            if (data == null) {
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            try {
                SftpOutputStreamAsync out = new SftpOutputStreamAsync((AbstractSftpClient) channel, BUFFER,
                        file.path(), handle, false);
                out.setOffset(start);
                data.transferFromClient(session.getFtpletSession(), new Counting.Out(out, uploaded));
                out.close(); // every write acknowledged by the node; the file is still open
                if (!session.isConnected() || session.isClosing()) {
                    // stream mode ends an upload by closing the data connection; a client that died closes both
                    throw new SocketException("the control connection closed with the data connection");
                }
                channel.close(handle); // the node publishes the file and logs it, then answers
                closed = true;
            } catch (IOException | RuntimeException e) {
                result = replyFor(e, "resume with REST or APPE");
                log.info("Upload of {} for {} broke: {}", file.path(), session.getUser().getName(), describe(e));
            }
            reply(session, result.code(), result.message());
        } catch (IOException e) {
            reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, "The transfer node is unavailable");
        } finally {
            finish(session, channel, closed);
        }
    }

    private void download(FtpIoSession session, FtpRequest request) {
        SftpClient channel = null;
        try {
            String name = request.getArgument();
            if (name == null || name.isBlank()) {
                reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS, "Syntax: RETR <file name>");
                return;
            }
            if (!dataConnectionPrepared(session)) {
                return;
            }
            long offset = session.getFileOffset();
            SftpView.File file = ((SftpView) session.getFileSystemView()).getFile(name);
            if (!file.doesExist()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": no such file");
                return;
            }
            if (!file.isFile()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not a file");
                return;
            }
            long size = file.getSize();
            if (offset > size) {
                reply(session, 554, "REST " + offset + " is beyond the end of " + name + " (" + size + " bytes)");
                return;
            }
            channel = ((SftpView) session.getFileSystemView()).transferChannel();
            SftpClient.CloseableHandle handle;
            try {
                handle = channel.open(file.path(), EnumSet.of(SftpClient.OpenMode.Read));
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": " + describe(e));
                return;
            }
            DataConnection data = openData(session, file.path());
            if (data == null) {
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            try (SftpInputStreamAsync in = new SftpInputStreamAsync((AbstractSftpClient) channel, BUFFER, offset,
                    size, file.path(), handle, false)) {
                data.transferToClient(session.getFtpletSession(), new Counting.In(in, downloaded));
                channel.close(handle); // the node logs the download
            } catch (IOException | RuntimeException e) {
                result = replyFor(e, "resume with REST");
            }
            reply(session, result.code(), result.message());
        } catch (IOException e) {
            reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, "The transfer node is unavailable");
        } finally {
            finish(session, channel, true);
        }
    }

    /**
     * Ends a transfer's SFTP channel: closed normally after a transfer that went well, dropped at once otherwise,
     * with its file still open, so the node treats it as interrupted (a partial upload it keeps for a resume).
     */
    private static void finish(FtpIoSession session, SftpClient channel, boolean normally) {
        session.resetState();
        session.getDataConnection().closeDataConnection();
        if (channel == null) {
            return;
        }
        if (normally) {
            try {
                channel.close();
            } catch (IOException e) {
                channel.getChannel().close(true);
            }
        } else {
            channel.getChannel().close(true);
        }
    }

    /**
     * The reply for a transfer the node or the data connection broke: as the node's own FTPS would give it, the kind
     * read from the node's words (its SFTP status) when the node refused.
     */
    private static FtpReplies replyFor(Throwable e, String resumeHint) {
        FailureKind connection = FailureKind.ofConnection(e);
        return FtpReplies.of(connection != null ? connection : FailureKind.fromWords(describe(e)), describe(e),
                resumeHint);
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Announces the transfer ({@code 150}) and opens its data connection; null (after {@code 425}) if it fails. */
    private static DataConnection openData(FtpIoSession session, String path) {
        session.write(new DefaultFtpReply(FtpReply.REPLY_150_FILE_STATUS_OKAY, "Opening data connection for " + path))
                .awaitUninterruptibly(10_000);
        try {
            return session.getDataConnection().openConnection();
        } catch (Exception e) {
            reply(session, FtpReply.REPLY_425_CANT_OPEN_DATA_CONNECTION, "Cannot open the data connection");
            return null;
        }
    }

    private static boolean dataConnectionPrepared(FtpIoSession session) {
        if (session.getDataConnection() instanceof IODataConnectionFactory factory && factory.getInetAddress() == null) {
            reply(session, FtpReply.REPLY_503_BAD_SEQUENCE_OF_COMMANDS, "PASV or EPSV must come first");
            return false;
        }
        return true;
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }

    // ---- lifecycle

    @Override
    public void start() {
        running = true;
        if (!properties.ftps().enabled()
                || (!properties.ftps().explicitEnabled() && !properties.ftps().implicitEnabled())) {
            log.info("FTPS is off at this edge (ferry.edge.ftps.enabled=false)");
            return;
        }
        // the listeners open once a node has given the cluster's certificate: partners never see another one
        starter = new Thread(() -> {
            try {
                FtpServer built = build(backends.awaitTls());
                synchronized (this) {
                    if (running) {
                        built.start();
                        server = built;
                        deadline = new LoginDeadline(properties.limits().authTimeout(), listeners::values,
                                "edge-ftps-login-deadline");
                        List<String> ports = new ArrayList<>();
                        listeners.forEach((kind, l) -> ports.add(kind + " " + l.getPort()));
                        log.info("FTPS listening on {} ({}), passive data ports {}", properties.ftps().bindAddress(),
                                String.join(", ", ports), properties.ftps().passivePorts());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (GeneralSecurityException | FtpException | RuntimeException e) {
                log.error("Cannot open FTPS at the edge", e);
            }
        }, "edge-ftps-start");
        starter.setDaemon(true);
        starter.start();
    }

    /** Whether the listeners are open (they wait for a node's certificate first). */
    public boolean listening() {
        FtpServer s = server;
        return s != null && !s.isStopped();
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (starter != null) {
            starter.interrupt();
        }
        if (deadline != null) {
            deadline.close();
        }
        if (server != null) {
            server.stop();
        }
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
