package io.ferry.transfer.ftp;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.command.CommandFactoryFactory;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.listener.Listener;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.ssl.ClientAuth;
import org.apache.ftpserver.ssl.SslConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.node.SessionHost;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;

/**
 * The FTPS listeners: Apache FtpServer with Ferry's accounts ({@link FerryUserManager}), storage
 * ({@link FerryFileSystemView}), transfers and transfer log ({@link FtpTransfers}) and TLS policy
 * ({@link FtpCommands}). Explicit FTPS ({@code AUTH TLS}) and implicit FTPS each run on their own port; TLS 1.2/1.3
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
    /** What the listeners' SSLContext delegates to: replaced when the cluster's certificate is. */
    private final java.util.concurrent.atomic.AtomicReference<SSLContext> currentContext =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final TlsCertificateStore certificates;
    private final ServingState serving;
    private volatile java.util.function.IntSupplier maxLoginsPerAccount;
    private final PartnerLogins logins;
    private volatile boolean running;
    private boolean started;

    public FtpsServer(FtpsProperties properties, TlsCertificateStore certificates, AccountService accounts,
            PartnerLogins logins, Transfers transfers, ServingState serving) {
        this.properties = properties;
        this.certificates = certificates;
        this.serving = serving;
        this.logins = logins;
        FtpServerFactory factory = new FtpServerFactory();
        if (!properties.enabled() || (!properties.explicitEnabled() && !properties.implicitEnabled())) {
            this.server = null;
            this.certificateFingerprint = null;
            return;
        }
        TlsCertificateStore.Identity identity = certificates.load(properties);
        this.certificateFingerprint = identity.fingerprint();
        currentContext.set(context(identity));
        SSLContext context = new ReloadableContext(currentContext);
        SslConfiguration tls = tls(context, properties, properties.tlsProtocols());
        // Data connections prefer TLS 1.2: after a TLS 1.3 handshake the server sends session tickets that an
        // uploading client never reads, and when it closes the connection with them unread its kernel resets it,
        // which ends an upload as "Connection reset" instead of end-of-file (curl with OpenSSL does this).
        // They share the control connections' SSLContext, so a data connection resumes the TLS 1.2 session of its
        // control connection (an abbreviated handshake, as clients that require session reuse expect).
        SslConfiguration dataTls = properties.tlsProtocols().contains("TLSv1.2")
                ? tls(context, properties, java.util.List.of("TLSv1.2")) : tls;

        factory.setUserManager(new FerryUserManager(accounts, logins,
                () -> maxLoginsPerAccount == null ? properties.maxLoginsPerAccount() : maxLoginsPerAccount.getAsInt()));
        // banned addresses are dropped on connect
        // a mutable map: FtpServer clears it when it stops
        factory.setFtplets(new java.util.HashMap<>(Map.of("defender", new org.apache.ftpserver.ftplet.DefaultFtplet() {
            @Override
            public org.apache.ftpserver.ftplet.FtpletResult onConnect(org.apache.ftpserver.ftplet.FtpSession session) {
                String address = session.getClientAddress().getAddress().getHostAddress();
                if (logins.bannedUntil(address).isPresent()) {
                    log.info("FTPS connection from {} refused: banned", address);
                    return org.apache.ftpserver.ftplet.FtpletResult.DISCONNECT;
                }
                return org.apache.ftpserver.ftplet.FtpletResult.DEFAULT;
            }
        })));
        factory.setFileSystem(FerryFileSystemView.FACTORY);
        CommandFactoryFactory commands = new CommandFactoryFactory();
        FtpCommands.all(properties, new FtpTransfers(transfers)).forEach(commands::addCommand);
        factory.setCommandFactory(FtpCommands.noDelay(commands.createCommandFactory()));

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(false);
        connections.setMaxLogins(properties.maxLogins());
        connections.setMaxLoginFailures(properties.maxLoginFailures());
        connections.setLoginFailureDelay(500);
        factory.setConnectionConfig(connections.createConnectionConfig());

        Map<String, Listener> configured = new LinkedHashMap<>();
        if (properties.explicitEnabled()) {
            configured.put(EXPLICIT, listener(properties, tls, dataTls, properties.explicitPort(), false));
        }
        if (properties.implicitEnabled()) {
            configured.put(IMPLICIT, listener(properties, tls, dataTls, properties.implicitPort(), true));
        }
        factory.setListeners(configured); // replaces FtpServer's default listener on port 21
        listeners.putAll(configured);
        this.server = factory.createServer();
    }

    private static Listener listener(FtpsProperties properties, SslConfiguration tls, SslConfiguration dataTls,
            int port, boolean implicit) {
        DataConnectionConfigurationFactory data = new DataConnectionConfigurationFactory();
        data.setPassivePorts(properties.passivePorts());
        if (!properties.passiveAddress().isBlank()) {
            data.setPassiveExternalAddress(properties.passiveAddress());
        }
        data.setActiveEnabled(properties.activeEnabled());
        data.setActiveIpCheck(true); // PORT/EPRT only to the client's own address: no FTP bounce
        data.setPassiveIpCheck(true); // the data connection must come from the client's address
        data.setIdleTime((int) Math.max(1, properties.dataTimeout().toSeconds()));
        data.setSslConfiguration(dataTls);
        data.setImplicitSsl(implicit);

        ListenerFactory listener = new ListenerFactory();
        listener.setServerAddress(properties.bindAddress());
        listener.setPort(port);
        listener.setSslConfiguration(tls);
        listener.setImplicitSsl(implicit);
        listener.setIdleTimeout((int) Math.max(0, properties.idleTimeout().toSeconds()));
        listener.setDataConnectionConfiguration(data.createDataConnectionConfiguration());
        return listener.createListener();
    }

    private static SSLContext context(TlsCertificateStore.Identity identity) {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(identity.keyStore(), TlsCertificateStore.PASSWORD);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot set up TLS for FTPS", e);
        }
    }

    private static SslConfiguration tls(SSLContext context, FtpsProperties properties,
            java.util.List<String> enabledProtocols) {
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        String[] suites = properties.effectiveCipherSuites().stream().filter(supported::contains).toArray(String[]::new);
        if (suites.length == 0) {
            throw new IllegalStateException("ferry.ftps.cipher-suites: none is supported by this JVM");
        }
        String[] protocols = enabledProtocols.toArray(String[]::new);
        return new SslConfiguration() {
            @Override
            public SSLSocketFactory getSocketFactory() {
                return context.getSocketFactory();
            }

            @Override
            public SSLContext getSSLContext() {
                return context;
            }

            @Override
            public SSLContext getSSLContext(String protocol) {
                return context;
            }

            @Override
            public String[] getEnabledCipherSuites() {
                return suites.clone();
            }

            @Override
            public String getEnabledProtocol() {
                return protocols[0];
            }

            @Override
            public String[] getEnabledProtocols() {
                return protocols.clone();
            }

            @Override
            public ClientAuth getClientAuth() {
                return ClientAuth.NONE;
            }
        };
    }



    /** Where the per-account session limit comes from when it can change at runtime (else the configured one). */
    public void setMaxLoginsPerAccount(java.util.function.IntSupplier limit) {
        this.maxLoginsPerAccount = limit;
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
    public java.util.List<io.ferry.transfer.node.SessionInfo> sessions() {
        if (!started) {
            return java.util.List.of();
        }
        java.util.List<io.ferry.transfer.node.SessionInfo> sessions = new java.util.ArrayList<>();
        for (Listener listener : listeners.values()) {
            for (var session : listener.getActiveSessions()) {
                String client = session.getRemoteAddress() instanceof java.net.InetSocketAddress address
                        ? address.getAddress().getHostAddress() : String.valueOf(session.getRemoteAddress());
                sessions.add(new io.ferry.transfer.node.SessionInfo(sessionId(session), session.isSecure() ? "ftps"
                        : "ftp", session.getUser() == null ? null : session.getUser().getName(), client,
                        java.time.Instant.ofEpochMilli(session.getCreationTime()), session.getReadBytes(),
                        session.getWrittenBytes()));
            }
        }
        return sessions;
    }

    /** The id a session has in the transfer log and in the session list. */
    static String sessionId(org.apache.ftpserver.impl.FtpIoSession session) {
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
        currentContext.set(context(identity));
        certificateFingerprint = identity.fingerprint();
    }

    /** An SSLContext that hands every new engine and socket to the current certificate's context. */
    private static final class ReloadableContext extends SSLContext {
        ReloadableContext(java.util.concurrent.atomic.AtomicReference<SSLContext> current) {
            super(new javax.net.ssl.SSLContextSpi() {
                @Override
                protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm,
                        java.security.SecureRandom sr) {
                    throw new UnsupportedOperationException("initialised already");
                }

                @Override
                protected SSLSocketFactory engineGetSocketFactory() {
                    return current.get().getSocketFactory();
                }

                @Override
                protected javax.net.ssl.SSLServerSocketFactory engineGetServerSocketFactory() {
                    return current.get().getServerSocketFactory();
                }

                @Override
                protected javax.net.ssl.SSLEngine engineCreateSSLEngine() {
                    return current.get().createSSLEngine();
                }

                @Override
                protected javax.net.ssl.SSLEngine engineCreateSSLEngine(String host, int port) {
                    return current.get().createSSLEngine(host, port);
                }

                @Override
                protected javax.net.ssl.SSLSessionContext engineGetServerSessionContext() {
                    return current.get().getServerSessionContext();
                }

                @Override
                protected javax.net.ssl.SSLSessionContext engineGetClientSessionContext() {
                    return current.get().getClientSessionContext();
                }

                @Override
                protected javax.net.ssl.SSLParameters engineGetDefaultSSLParameters() {
                    return current.get().getDefaultSSLParameters();
                }

                @Override
                protected javax.net.ssl.SSLParameters engineGetSupportedSSLParameters() {
                    return current.get().getSupportedSSLParameters();
                }
            }, current.get().getProvider(), current.get().getProtocol());
        }
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
