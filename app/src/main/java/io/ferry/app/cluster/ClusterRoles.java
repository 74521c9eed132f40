package io.ferry.app.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.app.config.ClusterProperties;
import io.ferry.cluster.ClusterMessage;
import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryElection;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.node.SessionHost;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.notify.Webhook;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * This node's role in the cluster: runs the {@link PrimaryElection}, opens and closes the partner listeners with the
 * role in active-passive mode, carries out hand-offs asked for on any node, and publishes what this node is for the
 * cluster view. Starts before the listeners and stops after them (releasing the primary role on the way down).
 */
public final class ClusterRoles implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ClusterRoles.class);
    private static final Duration INFO_TTL = Duration.ofSeconds(6);

    /** A node's drain state. */
    public enum DrainState {
        ACTIVE, DRAINING, DRAINED;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final ClusterNode node;
    private final PrimaryElection election;
    private final ServingState serving;
    private final ClusterProperties properties;
    private final List<SessionHost> sessionHosts;
    private final Instant startedAt = Instant.now();
    private volatile DrainState drain = DrainState.ACTIVE;
    private volatile long drainGeneration;
    private final String version;
    private ScheduledExecutorService publisher;
    private volatile boolean running;

    private final MeterRegistry meters;
    private final io.ferry.transfer.node.RuntimeSettings settings;
    private final Webhook webhook;
    private final Notifications notifications;

    public ClusterRoles(ClusterNode node, PrimaryElection election, ServingState serving, ClusterProperties properties,
            List<SessionHost> sessionHosts, MeterRegistry meters,
            io.ferry.transfer.node.RuntimeSettings settings, Webhook webhook, Notifications notifications) {
        this.settings = settings;
        this.webhook = webhook;
        this.notifications = notifications;
        this.meters = meters;
        this.node = node;
        this.sessionHosts = List.copyOf(sessionHosts);
        this.election = election;
        this.serving = serving;
        this.properties = properties;
        String implementation = ClusterRoles.class.getPackage().getImplementationVersion();
        this.version = implementation == null ? "dev" : implementation;
    }

    @Override
    public void start() {
        election.addListener(new PrimaryElection.Listener() {
            @Override
            public void promoted(long token) {
                updateServing();
                publish();
                event("primary-acquired", node.nodeId(), token, "took the primary role");
                notifications.raise(Notifications.FAILOVER, "Node " + node.nodeId() + " took the primary role",
                        "Node " + node.nodeId() + " took the primary role (fencing token " + token + "): the "
                                + "previous primary stopped, was cut off or handed the role over. Schedules, folder "
                                + "monitors and expectations now run there; the cluster's history (console, Cluster) "
                                + "says why.");
            }

            @Override
            public void demoted(String reason) {
                updateServing();
                publish();
                event("primary-given-up", node.nodeId(), 0, reason);
            }
        });
        Gauge.builder("ferry.cluster.primary", election, e -> e.isPrimary() ? 1 : 0)
                .description("1 while this node holds the primary role").register(meters);
        Gauge.builder("ferry.cluster.members", node, n -> n.memberNodeIds().size())
                .description("cluster members this node sees, itself included").register(meters);
        Gauge.builder("ferry.cluster.clock.skew", election,
                e -> e.clockSkewMillis() / 1000.0).baseUnit("seconds")
                .description("this node's clock minus the database's").register(meters);
        for (String reason : node.droppedMessages().keySet()) {
            FunctionCounter.builder("ferry.cluster.messages.dropped", node,
                    n -> n.droppedMessages().getOrDefault(reason, 0L)).tag("reason", reason)
                    .description("control messages dropped: not signed with the cluster secret, forged, stale, "
                            + "replayed or malformed").register(meters);
        }
        FunctionCounter.builder("ferry.cluster.members.refused", node, ClusterNode::refusedMembers)
                .description("members removed because their address is not among ferry.cluster.members")
                .register(meters);
        node.onMemberLeft(left -> {
            election.nudge();
            if (node.isOldestMember()) {
                event("member-left", left, 0, "the member left the cluster (stopped, died or cut off)");
            }
        });
        listen();
        publisher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-cluster-info");
            thread.setDaemon(true);
            return thread;
        });
        publisher.scheduleWithFixedDelay(this::publish, 0, 2, TimeUnit.SECONDS);
        election.start();
        running = true;
        log.info("Node {} in {} mode; primary lease {} long, renewed every {}", node.nodeId(), properties.mode(),
                properties.leaseTtl(), properties.renewInterval());
    }

    private void listen() {
        node.onMessage(ClusterMessage.Handoff.class, m -> {
            // only to a member this node sees: a handoff to nobody would leave the cluster without a primary
            if (!m.target().equals(node.nodeId()) && node.memberNodeIds().contains(m.target())
                    && election.handOff(m.target(), "handed to " + m.target() + " on request")) {
                node.broadcast(new ClusterMessage.Nudge(m.target()));
            }
        });
        node.onMessage(ClusterMessage.Nudge.class, m -> {
            if (m.target().equals(node.nodeId())) {
                election.nudge();
            }
        });
        node.onMessage(ClusterMessage.Drain.class, m -> {
            if (m.target().equals(node.nodeId())) {
                drain(Duration.ofSeconds(m.seconds()));
            }
        });
        node.onMessage(ClusterMessage.Undrain.class, m -> {
            if (m.target().equals(node.nodeId())) {
                undrain();
            }
        });
        node.onMessage(ClusterMessage.CloseSession.class,
                m -> sessionHosts.forEach(h -> h.closeSession(m.sessionId(), "closed by an administrator")));
        node.onMessage(ClusterMessage.Revoke.class, m -> {
            int closed = sessionHosts.stream().mapToInt(h -> h.closeAccount(m.username(), "the account was revoked"))
                    .sum();
            if (closed > 0) {
                log.info("Closed {} session(s) of {} on {}: the account was disabled or deleted", closed,
                        m.username(), node.nodeId());
            }
        });
    }

    /**
     * An account was disabled or deleted (and committed): every node closes its sessions now, instead of at their
     * next operation.
     */
    @org.springframework.transaction.event.TransactionalEventListener
    public void revoked(io.ferry.transfer.account.AccountAccessRevoked event) {
        node.broadcast(new ClusterMessage.Revoke(event.username()));
    }

    /** Asks the named node to drain: no new sessions, open ones may finish within {@code timeout}. */
    public void requestDrain(String target, Duration timeout) {
        node.broadcast(new ClusterMessage.Drain(target, Math.min(ClusterMessage.MAX_DRAIN_SECONDS,
                Math.max(0, timeout.toSeconds()))));
    }

    public void requestUndrain(String target) {
        node.broadcast(new ClusterMessage.Undrain(target));
    }

    /**
     * Drains this node: its listeners close (new sessions go to other nodes), it gives up and no longer takes the
     * primary role, and once its open sessions ended (or {@code timeout} passed, after which they are closed) it
     * reports {@code drained}. This is how a node leaves for an upgrade.
     */
    synchronized void drain(Duration timeout) {
        if (drain != DrainState.ACTIVE) {
            return;
        }
        drain = DrainState.DRAINING;
        long generation = ++drainGeneration;
        election.setEligible(false);
        updateServing();
        if (election.isPrimary()) {
            node.memberNodeIds().stream().filter(id -> !id.equals(node.nodeId())).findFirst().ifPresentOrElse(
                    target -> {
                        if (election.handOff(target, "handed to " + target + ": " + node.nodeId() + " drains")) {
                            node.broadcast(new ClusterMessage.Nudge(target));
                        }
                    },
                    () -> log.warn("Node {} drains but no other member can take the primary role", node.nodeId()));
        }
        log.info("Node {} drains: no new sessions; {} open may finish within {}", node.nodeId(), sessions(), timeout);
        publish();
        Thread waiter = new Thread(() -> awaitDrained(generation, timeout), "ferry-drain");
        waiter.setDaemon(true);
        waiter.start();
    }

    private void awaitDrained(long generation, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (drainGeneration == generation && drain == DrainState.DRAINING && sessions() > 0
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
        synchronized (this) {
            if (drainGeneration != generation || drain != DrainState.DRAINING) {
                return; // undrained meanwhile
            }
            int left = sessions();
            if (left > 0) {
                log.warn("Node {}: {} session(s) still open when the drain timeout ran out; closing them", node.nodeId(),
                        left);
                sessionHosts.forEach(h -> h.closeAll("the node drained"));
            }
            drain = DrainState.DRAINED;
        }
        log.info("Node {} is drained", node.nodeId());
        publish();
    }

    synchronized void undrain() {
        if (drain == DrainState.ACTIVE) {
            return;
        }
        drain = DrainState.ACTIVE;
        drainGeneration++;
        election.setEligible(true);
        updateServing();
        log.info("Node {} is back in service", node.nodeId());
        publish();
    }

    /** Serving partners: not while draining; in active-passive mode only as primary. */
    private void updateServing() {
        boolean role = properties.mode() == ClusterProperties.Mode.ACTIVE_ACTIVE || election.isPrimary();
        serving.set(drain == DrainState.ACTIVE && role);
    }

    public int sessions() {
        return sessionHosts.stream().mapToInt(SessionHost::activeSessions).sum();
    }

    public DrainState drainState() {
        return drain;
    }

    /**
     * A role change or a lost member: logged, counted ({@code ferry.cluster.events}), and POSTed to
     * {@code cluster.webhook-url} if set (through {@link Webhook}). (The database's {@code cluster_role_changes} has
     * the role changes.)
     */
    private void event(String type, String subject, long token, String reason) {
        log.info("Cluster event {}: {} (token {}): {}", type, subject, token, reason);
        meters.counter("ferry.cluster.events", "type", type).increment();
        try {
            election.lease().recordEvent(type, subject, node.nodeId(), token, reason);
        } catch (Exception e) {
            log.warn("Could not record cluster event {} in the database: {}", type, e.toString());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", type);
        body.put("node", subject);
        body.put("reportedBy", node.nodeId());
        body.put("token", token);
        body.put("reason", reason);
        body.put("at", Instant.now().toString());
        webhook.post("cluster event " + type, body);
    }

    /** A short fingerprint of the runtime settings this node applies now: equal on nodes that agree. */
    String settingsFingerprint() {
        StringBuilder all = new StringBuilder();
        settings.definitions().keySet().forEach(name -> all.append(name).append('=').append(settings.value(name))
                .append('\n'));
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(all.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public long clockSkewMillis() {
        return election.clockSkewMillis();
    }

    /** Asks whichever node is primary to hand the role to {@code target}. */
    public void requestHandoff(String target) {
        node.broadcast(new ClusterMessage.Handoff(target));
    }

    /** What this node says about itself in the cluster view. */
    Map<String, String> info() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("node", node.nodeId());
        info.put("role", election.isPrimary() ? "primary" : "standby");
        info.put("token", String.valueOf(election.token()));
        info.put("mode", properties.mode().toString());
        info.put("serving", String.valueOf(serving.serving()));
        info.put("drain", drain.toString());
        info.put("sessions", String.valueOf(sessions()));
        info.put("clockSkewMillis", String.valueOf(election.clockSkewMillis()));
        info.put("settings", settingsFingerprint());
        info.put("version", version);
        info.put("startedAt", startedAt.toString());
        return info;
    }

    /** This node's live sessions, as published for the cluster-wide list. */
    public List<Map<String, String>> localSessions() {
        List<Map<String, String>> sessions = new java.util.ArrayList<>();
        for (SessionHost host : sessionHosts) {
            for (io.ferry.transfer.node.SessionInfo s : host.sessions()) {
                Map<String, String> fields = new LinkedHashMap<>();
                fields.put("node", node.nodeId());
                fields.put("id", s.id());
                fields.put("protocol", s.protocol());
                if (s.account() != null) {
                    fields.put("account", s.account());
                }
                fields.put("client", s.client());
                fields.put("startedAt", String.valueOf(s.startedAt()));
                fields.put("bytesIn", String.valueOf(s.bytesIn()));
                fields.put("bytesOut", String.valueOf(s.bytesOut()));
                sessions.add(fields);
            }
        }
        return sessions;
    }

    /** Asks whichever node holds the session to close it. */
    public void requestCloseSession(String id) {
        node.broadcast(new ClusterMessage.CloseSession(id));
    }

    private void publish() {
        try {
            if (node.isRunning()) {
                node.publishInfo(info(), INFO_TTL);
                node.publishSessions(localSessions(), INFO_TTL);
            }
        } catch (RuntimeException e) {
            log.debug("Could not publish this node's info: {}", e.toString());
        }
    }

    public boolean isPrimary() {
        return election.isPrimary();
    }

    public ClusterProperties.Mode mode() {
        return properties.mode();
    }

    @Override
    public void stop() {
        running = false;
        if (publisher != null) {
            publisher.shutdownNow();
        }
        election.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the listeners (which follow the role) start; after they stopped. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 2000;
    }
}
