package io.ferry.edge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.common.SecretFiles;
import io.ferry.common.ftp.FtpsTls;
import io.ferry.common.ssh.EdgeSessions;
import io.ferry.common.ssh.SshAlgorithms;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The transfer nodes behind this edge: asks each, every {@code health-interval}, whether it serves partners (a node
 * that does not answer within {@code backend-timeout} is out until it answers again), fetches the cluster's host
 * keys from the first node that answers, and picks the node for a new partner session.
 */
public final class Backends implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Backends.class);

    private final EdgeProperties properties;
    private final SshClient client;
    private final List<Backend> backends = new ArrayList<>();
    private final MeterRegistry meters;
    private final AtomicInteger cursor = new AtomicInteger();
    private ScheduledExecutorService scheduler;
    private ExecutorService pollers;
    private volatile List<KeyPair> hostKeys;
    private volatile TlsIdentity tls;
    private boolean ownHostKeys;
    private boolean ownTls;
    private int identityFailures;
    private volatile boolean running;
    /** The status keys of the run-time SSH algorithm lists: {@code algorithms.ciphers}, and so on. */
    static final String ALGORITHMS = "algorithms.";
    private volatile Map<String, String> algorithms = Map.of("ciphers", "", "macs", "", "kex-algorithms", "");
    private volatile Consumer<Map<String, String>> algorithmFollower;
    private volatile Consumer<TlsIdentity> certificateFollower;

    public Backends(EdgeProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.meters = meters;
        this.client = SshClient.setUpDefaultClient();
        SshAlgorithms.applyClient(client);
        List<String> pinned = properties.backendHostKeys();
        client.setServerKeyVerifier((session, address, key) -> {
            boolean known = pinned.contains(KeyUtils.getFingerPrint(key));
            if (!known) {
                log.error("Node {} presented host key {}, which ferry.edge.backend-host-keys does not list: refused",
                        address, KeyUtils.getFingerPrint(key));
            }
            return known;
        });
        loadOwnIdentity(properties.identity());
        CoreModuleProperties.WINDOW_SIZE.set(client, properties.sftp().windowSize());
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        CoreModuleProperties.NIO2_READ_BUFFER_SIZE.set(client, 256 * 1024);
        // the nodes send SFTP data in packets of up to this size (their own limit is the same)
        CoreModuleProperties.MAX_PACKET_SIZE.set(client, 128L * 1024);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, Duration.ofSeconds(15));
        // a session a node ends for good (an administrator closed it) is not carried over (NodeLink)
        client.addSessionListener(new SessionListener() {
            @Override
            public void sessionDisconnect(Session session, int reason, String description, String language,
                    boolean initiator) {
                if (!initiator && EdgeSessions.isFinal(description)) {
                    session.setAttribute(NodeLink.ENDED_FOR_GOOD, description);
                }
            }
        });
        for (String address : properties.backends()) {
            Backend backend = new Backend(address.trim(), client, properties.name(), properties.secret(),
                    properties.backendTimeout());
            backends.add(backend);
            Gauge.builder("ferry.edge.backend.ready", backend, b -> b.ready() ? 1 : 0).tag("backend", address)
                    .description("1 while the node answers and serves partners").register(meters);
            Gauge.builder("ferry.edge.backend.sessions", backend, b -> b.relayed().get()).tag("backend", address)
                    .description("partner sessions this edge relays to the node now").register(meters);
        }
    }

    @Override
    public void start() {
        client.start();
        pollers = Executors.newCachedThreadPool(daemon("edge-poll-"));
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("edge-health"));
        scheduler.scheduleWithFixedDelay(this::pollAll, 0, properties.healthInterval().toMillis(),
                TimeUnit.MILLISECONDS);
        running = true;
        log.info("Edge '{}' fronts {} ({} routing)", properties.name(), properties.backends(),
                properties.routing().name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    private void pollAll() {
        for (Backend backend : backends) {
            pollers.execute(() -> poll(backend));
        }
        if (cycles++ % BAN_SYNC_CYCLES == 0) {
            pollers.execute(this::syncBans);
        }
    }

    /** Status polls between two fetches of the cluster's bans (every 5 s at the default interval). */
    private static final int BAN_SYNC_CYCLES = 10;
    private long cycles;
    private volatile Door door;

    /** The door that follows the cluster's bans, and reports its own to the cluster. */
    void follow(Door door) {
        this.door = door;
        door.onBan((address, duration) -> pollers.execute(() -> reportBan(address, duration)));
    }

    /** Takes the cluster's bans to the door, so banned addresses are dropped before any login. */
    private void syncBans() {
        Door following = door;
        if (following == null) {
            return;
        }
        for (Backend backend : backends) {
            if (!backend.ready()) {
                continue;
            }
            try {
                Properties bans = backend.request("bans", new Properties());
                Map<String, Instant> list = new HashMap<>();
                bans.stringPropertyNames().forEach(address -> list.put(address,
                        Instant.ofEpochMilli(Long.parseLong(bans.getProperty(address)))));
                following.clusterBans(list);
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("Cannot fetch the cluster's bans from {}: {}", backend.address(), e.toString());
            }
        }
    }

    /** Tells the cluster's defender of a ban this edge decided, so other edges and the nodes drop the address too. */
    private void reportBan(String address, Duration duration) {
        Properties request = new Properties();
        request.setProperty("address", address);
        request.setProperty("seconds", String.valueOf(Math.max(1, duration.toSeconds())));
        request.setProperty("reason", "failed logins at the edge's door");
        for (Backend backend : backends) {
            if (!backend.ready()) {
                continue;
            }
            try {
                backend.request("ban", request);
                return;
            } catch (IOException | RuntimeException e) {
                log.debug("Cannot report the ban of {} to {}: {}", address, backend.address(), e.toString());
            }
        }
        log.warn("No node took the ban of {}: it holds at this edge only", address);
    }

    private final Set<Backend> polling = ConcurrentHashMap.newKeySet();

    private void poll(Backend backend) {
        if (!polling.add(backend)) {
            return; // the last poll still waits for its answer
        }
        try {
            boolean wasReady = backend.ready();
            long started = System.nanoTime();
            backend.poll();
            if (backend.up()) {
                followAlgorithms(backend.status());
                Timer.builder("ferry.edge.backend.latency").tag("backend", backend.address())
                        .description("time a node takes to answer a status request").register(meters)
                        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                if (hostKeys == null || (tls == null && properties.ftps().enabled())) {
                    fetchIdentity(backend);
                } else if (!ownTls) {
                    followCertificate(backend);
                }
            }
            if (wasReady != backend.ready()) {
                log.info("Node {} ({}) {}", backend.name(), backend.address(), backend.ready()
                        ? "serves partners: new sessions may go to it"
                        : "is out of service" + (backend.up() ? " (" + backend.status() + ")" : ": it does not answer"));
            }
        } finally {
            polling.remove(backend);
        }
    }

    /**
     * Takes the cluster's run-time SSH algorithm lists from the primary's status ({@code algorithms.ciphers}, ...;
     * blank: the defaults) to whoever follows them, when they change. Only the primary is followed, so that nodes
     * that disagree for a moment (one has not reloaded its settings yet) cannot make the offer flip with each poll.
     */
    private void followAlgorithms(Map<String, String> status) {
        if (!"primary".equals(status.get("role"))
                || status.keySet().stream().noneMatch(key -> key.startsWith(ALGORITHMS))) {
            return; // a standby, or a node of an earlier version, which does not tell them
        }
        Map<String, String> lists = new HashMap<>();
        for (String list : SshAlgorithms.RUNTIME) {
            lists.put(list, status.getOrDefault(ALGORITHMS + list, ""));
        }
        Consumer<Map<String, String>> follower = algorithmFollower;
        if (!lists.equals(algorithms) && follower != null) {
            synchronized (this) {
                if (!lists.equals(algorithms)) {
                    algorithms = Map.copyOf(lists);
                    follower.accept(algorithms);
                }
            }
        }
    }

    /**
     * Who applies the cluster's run-time SSH algorithm lists (by list name, blank: the default): told of the lists
     * now and after each change a node reports.
     */
    synchronized void onAlgorithms(Consumer<Map<String, String>> follower) {
        this.algorithmFollower = follower;
        follower.accept(algorithms);
    }

    /**
     * The edge's own host keys and certificate, where configured ({@code ferry.edge.identity.*}): presented instead
     * of the cluster's, which are then never asked for.
     */
    private void loadOwnIdentity(EdgeProperties.Identity identity) {
        try {
            if (!identity.hostKeys().isEmpty()) {
                List<KeyPair> keys = new ArrayList<>();
                for (Path file : identity.hostKeys()) {
                    SecretFiles.requireOwnerOnly(file, "The edge's host key file");
                    try (InputStream in = Files.newInputStream(file)) {
                        readKeyPairs(file.toString(), in, keys);
                    }
                }
                if (keys.isEmpty()) {
                    throw new IllegalStateException("ferry.edge.identity.host-keys holds no private key");
                }
                keys.forEach(k -> log.info("Presenting the edge's own host key {} {}", KeyUtils.getKeyType(k),
                        KeyUtils.getFingerPrint(k.getPublic())));
                hostKeys = List.copyOf(keys);
                ownHostKeys = true;
            }
            if (identity.tlsKeystore() != null) {
                SecretFiles.requireOwnerOnly(identity.tlsKeystore(), "The edge's FTPS keystore");
                tls = TlsIdentity.load(identity.tlsKeystore(), identity.tlsKeystorePassword().toCharArray());
                log.info("Presenting the edge's own FTPS certificate {}, SHA-256 {}",
                        tls.chain().get(0).getSubjectX500Principal(), FtpsTls.fingerprint(tls.chain().get(0)));
                ownTls = true;
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("Cannot read the edge's own identity (ferry.edge.identity.*): "
                    + e.getMessage(), e);
        }
    }

    /** The key pairs of an OpenSSH or PEM private key, added to {@code keys}. */
    private static void readKeyPairs(String name, InputStream in, List<KeyPair> keys)
            throws IOException, GeneralSecurityException {
        Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(name), in, null);
        if (pairs != null) {
            pairs.forEach(keys::add);
        }
    }

    private synchronized void fetchIdentity(Backend backend) {
        if (hostKeys != null && (tls != null || !properties.ftps().enabled())) {
            return;
        }
        try {
            Properties answer = backend.request("identity", new Properties());
            List<KeyPair> keys = new ArrayList<>();
            for (int i = 0; answer.containsKey("hostKey." + i); i++) {
                byte[] encoded = Base64.getDecoder().decode(answer.getProperty("hostKey." + i));
                readKeyPairs("cluster host key", new ByteArrayInputStream(encoded), keys);
            }
            if (keys.isEmpty()) {
                throw new IOException("the node sent no host key");
            }
            if (!ownHostKeys) {
                keys.forEach(k -> log.info("Presenting the cluster's host key {} {}", KeyUtils.getKeyType(k),
                        KeyUtils.getFingerPrint(k.getPublic())));
                hostKeys = List.copyOf(keys);
            }
            if (!ownTls) {
                tls = TlsIdentity.decode(answer);
                log.info("Presenting the cluster's FTPS certificate {}",
                        tls.chain().get(0).getSubjectX500Principal());
            }
            notifyAll();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // said once at warning level; the health poll retries quietly
            if (identityFailures++ == 0) {
                log.warn("Cannot fetch the cluster's host keys from {}: {}", backend.address(), e.toString());
            } else {
                log.debug("Cannot fetch the cluster's host keys from {}: {}", backend.address(), e.toString());
            }
        }
    }

    /**
     * Fetches the cluster's FTPS certificate again when a node says it presents another one (an administrator
     * replaced it), and hands it to whoever presents it: partners get it from their next connection, without a
     * restart of the edge.
     */
    private void followCertificate(Backend backend) {
        String presented = backend.status().get("tls.fingerprint");
        TlsIdentity current = tls;
        Consumer<TlsIdentity> follower = certificateFollower;
        if (presented == null || presented.isBlank() || current == null || follower == null
                || presented.equals(FtpsTls.fingerprint(current.chain().get(0)))) {
            return; // a node of an earlier version says nothing; or nothing changed
        }
        synchronized (this) {
            if (tls != current) {
                return; // another poll fetched it meanwhile
            }
            try {
                TlsIdentity replaced = TlsIdentity.decode(backend.request("identity", new Properties()));
                if (!presented.equals(FtpsTls.fingerprint(replaced.chain().get(0)))) {
                    return; // the node changed its word again: the next poll follows
                }
                tls = replaced;
                log.info("Presenting the cluster's new FTPS certificate {}, SHA-256 {}",
                        replaced.chain().get(0).getSubjectX500Principal(), presented);
                follower.accept(replaced);
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                log.warn("Cannot fetch the cluster's new FTPS certificate from {}: {}", backend.address(),
                        e.toString());
            }
        }
    }

    /** Who presents the cluster's FTPS certificate: told of each new one. */
    void onCertificate(Consumer<TlsIdentity> follower) {
        this.certificateFollower = follower;
    }

    /** The cluster's FTPS certificate and key, given with the host keys. */
    synchronized TlsIdentity awaitTls() throws InterruptedException {
        while (tls == null && running) {
            wait(1000);
        }
        if (tls == null) {
            throw new InterruptedException("stopped before any node answered");
        }
        return tls;
    }

    /** The cluster's host keys, once a node has given them. */
    Optional<List<KeyPair>> hostKeys() {
        return Optional.ofNullable(hostKeys);
    }

    /** Waits until a node has given the cluster's host keys. */
    synchronized List<KeyPair> awaitHostKeys() throws InterruptedException {
        while (hostKeys == null && running) {
            wait(1000);
        }
        if (hostKeys == null) {
            throw new InterruptedException("stopped before any node answered");
        }
        return hostKeys;
    }

    /**
     * The nodes a new session may go to, best first: those that serve partners, by the configured routing. The
     * caller tries them in order (a node can fail between its last status and this session).
     */
    List<Backend> candidates(String clientAddress) {
        List<Backend> ready = backends.stream().filter(Backend::ready).toList();
        if (ready.size() <= 1) {
            return ready;
        }
        List<Backend> ordered = new ArrayList<>(ready);
        if (properties.routing() == EdgeProperties.Routing.CLIENT_IP) {
            // rendezvous hashing: an address keeps its node while that node serves, and moves only if it stops
            ordered.sort(Comparator.comparingInt((Backend b) -> mix((b.address() + "|" + clientAddress).hashCode()))
                    .reversed());
        } else {
            int start = Math.floorMod(cursor.getAndIncrement(), ordered.size());
            Collections.rotate(ordered, -start); // equal loads take turns
            ordered.sort(Comparator.comparingInt(b -> b.relayed().get()));
        }
        return ordered;
    }

    /** MurmurHash3's finaliser: spreads String.hashCode's near-linear values over the whole int range. */
    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    List<Backend> all() {
        return List.copyOf(backends);
    }

    String edgeName() {
        return properties.name();
    }

    @Override
    public void stop() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (pollers != null) {
            pollers.shutdownNow();
        }
        backends.forEach(Backend::close);
        try {
            client.stop();
        } catch (RuntimeException e) {
            log.debug("SSH client stop: {}", e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the SFTP listener (which needs the host keys) and after it when stopping. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 2000;
    }

    static java.util.concurrent.ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
