package io.ferry.app.cluster;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.app.config.ClusterProperties;
import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryElection;
import io.ferry.transfer.node.ServingState;

/**
 * This node's role in the cluster: runs the {@link PrimaryElection}, opens and closes the partner listeners with the
 * role in active-passive mode, carries out hand-offs asked for on any node, and publishes what this node is for the
 * cluster view. Starts before the listeners and stops after them (releasing the primary role on the way down).
 */
public final class ClusterRoles implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ClusterRoles.class);
    private static final Duration INFO_TTL = Duration.ofSeconds(6);
    static final String HANDOFF = "handoff ";
    static final String NUDGE = "nudge ";

    private final ClusterNode node;
    private final PrimaryElection election;
    private final ServingState serving;
    private final ClusterProperties properties;
    private final Instant startedAt = Instant.now();
    private final String version;
    private ScheduledExecutorService publisher;
    private volatile boolean running;

    public ClusterRoles(ClusterNode node, PrimaryElection election, ServingState serving, ClusterProperties properties) {
        this.node = node;
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
                if (properties.mode() == ClusterProperties.Mode.ACTIVE_PASSIVE) {
                    serving.set(true);
                }
                publish();
            }

            @Override
            public void demoted(String reason) {
                if (properties.mode() == ClusterProperties.Mode.ACTIVE_PASSIVE) {
                    serving.set(false);
                }
                publish();
            }
        });
        node.onMemberLeft(election::nudge);
        node.onMessage(this::onMessage);
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

    private void onMessage(String message) {
        if (message.startsWith(HANDOFF)) {
            String target = message.substring(HANDOFF.length());
            if (!target.equals(node.nodeId()) && election.handOff(target, "handed to " + target + " on request")) {
                node.broadcast(NUDGE + target);
            }
        } else if (message.startsWith(NUDGE) && message.substring(NUDGE.length()).equals(node.nodeId())) {
            election.nudge();
        }
    }

    /** Asks whichever node is primary to hand the role to {@code target}. */
    public void requestHandoff(String target) {
        node.broadcast(HANDOFF + target);
    }

    /** What this node says about itself in the cluster view. */
    Map<String, String> info() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("node", node.nodeId());
        info.put("role", election.isPrimary() ? "primary" : "standby");
        info.put("token", String.valueOf(election.token()));
        info.put("mode", properties.mode().toString());
        info.put("serving", String.valueOf(serving.serving()));
        info.put("version", version);
        info.put("startedAt", startedAt.toString());
        return info;
    }

    private void publish() {
        try {
            if (node.isRunning()) {
                node.publishInfo(info(), INFO_TTL);
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
