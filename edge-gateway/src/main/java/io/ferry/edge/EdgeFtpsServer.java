package io.ferry.edge;

import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.command.CommandFactoryFactory;
import org.apache.ftpserver.command.impl.LIST;
import org.apache.ftpserver.command.impl.MDTM;
import org.apache.ftpserver.command.impl.MFMT;
import org.apache.ftpserver.command.impl.MLSD;
import org.apache.ftpserver.command.impl.NLST;
import org.apache.ftpserver.command.impl.PASS;
import org.apache.ftpserver.command.impl.REIN;
import org.apache.ftpserver.command.impl.USER;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.listener.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.Doorkeeper;
import io.ferry.common.ftp.DoorFtplet;
import io.ferry.common.ftp.FtpsCommands;
import io.ferry.common.ftp.FtpsTls;
import io.ferry.common.ftp.LoginDeadline;
import io.ferry.edge.EdgeFtpsLogins.EdgeUser;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * FTPS at the edge, bridged onto SFTP: the partner speaks FTPS (explicit or implicit, passive data on the edge's
 * own ports) to the edge, which presents the cluster's certificate, has the login checked by a node, and runs the
 * partner's operations on an SFTP session to that node (so nodes need no internal FTP listener). Transfers are the
 * edge's own STOR, APPE and RETR: an upload that ends well closes its file on the node, which publishes it and logs
 * it before the partner hears {@code 226}; one that breaks is dropped with its SFTP channel, never closed, so the
 * node keeps it as a partial upload that REST + STOR or APPE resumes. This class builds the server, keeps its door
 * and runs its lifecycle; the logins are in {@link EdgeFtpsLogins}, the transfers in {@link FtpsBridgeTransfers}.
 */
public final class EdgeFtpsServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EdgeFtpsServer.class);

    private final EdgeProperties properties;
    private final Backends backends;
    private final Door door;
    private final EdgeFtpsLogins logins;
    private final FtpsBridgeTransfers transfers;
    private final Map<String, Listener> listeners = new LinkedHashMap<>();
    private volatile FtpServer server;
    private volatile boolean running;
    private Thread starter;
    private LoginDeadline deadline;

    public EdgeFtpsServer(EdgeProperties properties, Backends backends, Door door, MeterRegistry meters) {
        this.properties = properties;
        this.backends = backends;
        this.door = door;
        this.logins = new EdgeFtpsLogins(new NodeLogins(backends, door, meters), backends, properties.failover());
        this.transfers = new FtpsBridgeTransfers(meters, properties.failover());
        Gauge.builder("ferry.edge.sessions", this, s -> s.sessions()).tag("protocol", "ftps")
                .description("partner sessions open at this edge").register(meters);
    }

    private int sessions() {
        return listeners.values().stream().mapToInt(l -> l.getActiveSessions().size()).sum();
    }

    // ---- the server

    private FtpServer build(TlsIdentity identity) throws GeneralSecurityException {
        FtpsTls tls = new FtpsTls(identity.context(), FtpsTls.DEFAULT_PROTOCOLS, List.of());
        // a certificate the cluster replaces is presented from the next connection on
        backends.onCertificate(replaced -> {
            try {
                tls.replace(replaced.context());
            } catch (GeneralSecurityException e) {
                log.warn("Cannot present the cluster's new FTPS certificate: {}", e.toString());
            }
        });
        FtpServerFactory factory = new FtpServerFactory();
        factory.setUserManager(logins);
        factory.setFileSystem(user -> ((EdgeUser) user).view());
        CommandFactoryFactory commands = new CommandFactoryFactory();
        // the edge never allows plain FTP and always requires protected data connections
        commands.addCommand("USER", FtpsCommands.loginNeedsTls(false, new USER()));
        commands.addCommand("PASS", FtpsCommands.loginNeedsTls(false, new PASS()));
        commands.addCommand("LIST", FtpsCommands.dataNeedsProtection(true, new LIST()));
        commands.addCommand("NLST", FtpsCommands.dataNeedsProtection(true, new NLST()));
        commands.addCommand("MLSD", FtpsCommands.dataNeedsProtection(true, FtpsCommands.mlsdOfExisting(new MLSD())));
        commands.addCommand("STOR",
                FtpsCommands.dataNeedsProtection(true, (s, c, r) -> transfers.upload(s, r, false)));
        commands.addCommand("APPE",
                FtpsCommands.dataNeedsProtection(true, (s, c, r) -> transfers.upload(s, r, true)));
        commands.addCommand("RETR", FtpsCommands.dataNeedsProtection(true, (s, c, r) -> transfers.download(s, r)));
        // REIN forgets the login without closing the file session FtpServer had it open: close it first
        commands.addCommand("REIN", (s, c, r) -> {
            if (s.getFileSystemView() != null) {
                s.getFileSystemView().dispose();
            }
            new REIN().execute(s, c, r);
        });
        commands.addCommand("STOU", FtpsCommands.stouRefused());
        commands.addCommand("MDTM", FtpsCommands.mdtmThatSets(new MDTM(), new MFMT()));
        factory.setCommandFactory(FtpsCommands.noDelay(commands.createCommandFactory()));
        // the door's limits and bans before any login; a mutable map: FtpServer clears it on stop
        factory.setFtplets(new HashMap<>(Map.of("door", new DoorFtplet(new Doorkeeper() {
            @Override
            public Optional<String> admit(String address) {
                Optional<String> refused = door.admit(address);
                refused.ifPresent(reason -> log.info("FTPS connection from {} refused: {}", address, reason));
                return refused;
            }

            @Override
            public void loggedIn() {
                door.loggedIn();
            }

            @Override
            public void closed(String address, boolean loggedIn) {
                door.closed(address, loggedIn);
            }
        }))));

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
