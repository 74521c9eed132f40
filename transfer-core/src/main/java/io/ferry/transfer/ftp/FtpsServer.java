package io.ferry.transfer.ftp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

import javax.net.ssl.SSLContext;

import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.command.CommandFactoryFactory;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.listener.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.ftp.DoorFtplet;
import io.ferry.common.ftp.FtpsCommands;
import io.ferry.common.ftp.FtpsTls;
import io.ferry.common.ftp.LoginDeadline;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.node.SessionHost;
import io.ferry.transfer.node.SessionInfo;
import io.ferry.transfer.session.PartnerDoor;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;

/**
 * The FTPS listeners: Apache FtpServer with Ferry's accounts ({@link FerryUserManager}), storage
 * ({@link FerryFileSystemView}), transfers and transfer log ({@link FtpTransfers}) and TLS policy
 * ({@link FtpCommands}, {@link FtpsCommands}, {@link FtpsTls}, shared with the edge). Explicit FTPS ({@code AUTH TLS}) and implicit FTPS each run on their own port; TLS 1.2/1.3
 * with forward-secret AEAD suites only; passive mode on a configured port range; active mode off by default and
 * never to an address other than the client's (no FTP bounce).
 */
public final class FtpsServer implements SmartLifecycle, SessionHost {

    private static final Logger log = LoggerFactory.getLogger(FtpsServer.class);
    private static final String EXPLICIT = "explicit";
    private static final String IMPLICIT = "implicit";

    private final FtpsProperties properties;
    private final FtpServer server;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();

    private volatile String certificateFingerprint;
    /** The listeners' TLS, whose certificate is replaced when the cluster's is. */
    private final FtpsTls tls;
    private final TlsCertificateStore certificates;
    private LoginDeadline deadline;
    private final ServingState serving;
    private final PartnerLogins logins;
    private volatile boolean running;
    private boolean started;

    /**
     * @param maxLoginsPerAccount the per-account session limit, asked at each login (it can change at run time; the
     *                            configured {@code ferry.ftps.max-logins-per-account} where it cannot)
     */
    public FtpsServer(FtpsProperties properties, TlsCertificateStore certificates, AccountService accounts,
            PartnerLogins logins, Transfers transfers, ServingState serving, IntSupplier maxLoginsPerAccount) {
        this.properties = properties;
        this.certificates = certificates;
        this.serving = serving;
        this.logins = logins;
        FtpServerFactory factory = new FtpServerFactory();
        if (!properties.enabled() || (!properties.explicitEnabled() && !properties.implicitEnabled())) {
            this.server = null;
            this.certificateFingerprint = null;
            this.tls = null;
            return;
        }
        TlsCertificateStore.Identity identity = certificates.load(properties);
        this.certificateFingerprint = identity.fingerprint();
        this.tls = new FtpsTls(context(identity), properties.tlsProtocols(), properties.cipherSuites());

        factory.setUserManager(new FerryUserManager(accounts, logins,
                maxLoginsPerAccount));
        // banned addresses are dropped on connect
        // a mutable map: FtpServer clears it when it stops
        // the door (bans, the listener's limits) on connect; a mutable map: FtpServer clears it when it stops
        factory.setFtplets(new HashMap<>(Map.of("door", new DoorFtplet(new PartnerDoor("ftps", properties.limits(),
                logins)))));
        factory.setFileSystem(FerryFileSystemView.FACTORY);
        CommandFactoryFactory commands = new CommandFactoryFactory();
        FtpCommands.all(properties, new FtpTransfers(transfers)).forEach(commands::addCommand);
        factory.setCommandFactory(FtpsCommands.noDelay(commands.createCommandFactory()));

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(false);
        connections.setMaxLogins(properties.maxLogins());
        connections.setMaxLoginFailures(properties.maxLoginFailures());
        connections.setLoginFailureDelay(500);
        factory.setConnectionConfig(connections.createConnectionConfig());

        Map<String, Listener> configured = new LinkedHashMap<>();
        if (properties.explicitEnabled()) {
            configured.put(EXPLICIT, tls.listener(listener(properties, properties.explicitPort(), false)));
        }
        if (properties.implicitEnabled()) {
            configured.put(IMPLICIT, tls.listener(listener(properties, properties.implicitPort(), true)));
        }
        factory.setListeners(configured); // replaces FtpServer's default listener on port 21
        listeners.putAll(configured);
        this.server = factory.createServer();
    }

    private static FtpsTls.ListenerSettings listener(FtpsProperties properties, int port, boolean implicit) {
        return new FtpsTls.ListenerSettings(properties.bindAddress(), port, implicit, properties.passivePorts(),
                properties.passiveAddress(), properties.activeEnabled(), properties.idleTimeout(),
                properties.dataTimeout());
    }

    private static SSLContext context(TlsCertificateStore.Identity identity) {
        try {
            return FtpsTls.context(identity.keyStore(), TlsCertificateStore.PASSWORD);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot set up TLS for FTPS", e);
        }
    }

    @Override
    public void start() {
        if (server == null) {
            log.info("FTPS is disabled");
            return;
        }
        running = true;
        serving.onChange(this::follow);
        follow(serving.serving());
    }

    /** Opens the listeners while the node serves partners, closes them while it does not. */
    private synchronized void follow(boolean open) {
        if (!running) {
            return;
        }
        if (open && !started) {
            try {
                server.start();
            } catch (FtpException e) {
                throw new IllegalStateException("Cannot start FTPS on " + properties.bindAddress() + ": "
                        + e.getMessage(), e);
            }
            started = true;
            deadline = new LoginDeadline(properties.authTimeout(), listeners::values, "ftps-login-deadline");
            log.info("FTPS listening on {}: explicit {}, implicit {}; passive ports {}; certificate SHA-256 {}",
                    properties.bindAddress(), port(EXPLICIT), port(IMPLICIT), properties.passivePorts(),
                    certificateFingerprint);
        } else if (open && server.isSuspended()) {
            server.resume();
            log.info("FTPS listening again: explicit {}, implicit {}", port(EXPLICIT), port(IMPLICIT));
        } else if (!open && started && !server.isSuspended()) {
            server.suspend();
            log.info("FTPS listeners closed: this node does not serve partners now (open sessions go on)");
        } else if (!open) {
            log.info("FTPS listeners stay closed: this node does not serve partners now");
        }
    }

    @Override
    public synchronized void stop() {
        if (server != null && running) {
            running = false;
            if (started) {
                deadline.close();
                server.stop();
            }
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

    private int port(String name) {
        Listener listener = listeners.get(name);
        return listener == null ? -1 : listener.getPort();
    }

    @Override
    public int activeSessions() {
        return listeners.values().stream().mapToInt(l -> started ? l.getActiveSessions().size() : 0).sum();
    }

    @Override
    public void closeAll(String reason) {
        if (started) {
            listeners.values().forEach(l -> l.getActiveSessions().forEach(session -> {
                log.info("Closing FTPS session {}: {}", session.getSessionId(), reason);
                session.closeNow();
            }));
        }
    }

    @Override
    public List<SessionInfo> sessions() {
        if (!started) {
            return List.of();
        }
        List<SessionInfo> sessions = new ArrayList<>();
        for (Listener listener : listeners.values()) {
            for (var session : listener.getActiveSessions()) {
                String client = session.getRemoteAddress() instanceof InetSocketAddress address
                        ? address.getAddress().getHostAddress() : String.valueOf(session.getRemoteAddress());
                sessions.add(new SessionInfo(sessionId(session), session.isSecure() ? "ftps"
                        : "ftp", session.getUser() == null ? null : session.getUser().getName(), client,
                        Instant.ofEpochMilli(session.getCreationTime()), session.getReadBytes(),
                        session.getWrittenBytes()));
            }
        }
        return sessions;
    }

    /** The id a session has in the transfer log and in the session list. */
    static String sessionId(FtpIoSession session) {
        return session.getSessionId().toString().substring(0, 12);
    }

    @Override
    public boolean closeSession(String id, String reason) {
        if (!started) {
            return false;
        }
        for (Listener listener : listeners.values()) {
            for (var session : listener.getActiveSessions()) {
                if (sessionId(session).equals(id)) {
                    log.info("Closing FTPS session {}: {}", id, reason);
                    session.closeNow();
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public int closeAccount(String username, String reason) {
        if (!started) {
            return 0;
        }
        int closed = 0;
        for (Listener listener : listeners.values()) {
            for (var session : listener.getActiveSessions()) {
                if (session.getUser() != null && username.equals(session.getUser().getName())) {
                    log.info("Closing FTPS session {} of {}: {}", session.getSessionId(), username, reason);
                    session.closeNow();
                    closed++;
                }
            }
        }
        return closed;
    }

    /** The explicit listener's bound port (-1 when it does not run). */
    public int explicitPort() {
        return port(EXPLICIT);
    }

    /** The implicit listener's bound port (-1 when it does not run). */
    public int implicitPort() {
        return port(IMPLICIT);
    }

    /**
     * Replaces the cluster's certificate (PEM chain and key) and presents it here at once, for new connections;
     * the caller tells the other nodes ({@link #reloadCertificate}). Refused when the certificate comes from this
     * node's configuration files, which would win again at the next start.
     */
    public String replaceCertificate(String chainPem, String keyPem, String password) {
        if (!properties.certificate().isBlank()) {
            throw new IllegalStateException("this node's certificate comes from ferry.ftps.certificate ("
                    + properties.certificate() + "): replace the file and restart, or remove the setting to keep "
                    + "the certificate in the cluster's database");
        }
        certificates.replace(chainPem, keyPem, password);
        reloadCertificate();
        return certificateFingerprint;
    }

    /** Loads the cluster's certificate again (another node replaced it); sessions already open keep theirs. */
    public void reloadCertificate() {
        if (server == null) {
            return;
        }
        TlsCertificateStore.Identity identity = certificates.load(properties);
        tls.replace(context(identity));
        certificateFingerprint = identity.fingerprint();
    }

    /** SHA-256 fingerprint of the certificate presented (colon-separated hex), or null when FTPS is off. */
    public String certificateFingerprint() {
        return certificateFingerprint;
    }

    @Override
    public String toString() {
        return "FtpsServer" + Arrays.asList(explicitPort(), implicitPort());
    }
}
