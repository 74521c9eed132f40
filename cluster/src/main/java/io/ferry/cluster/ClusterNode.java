package io.ferry.cluster;

import java.util.List;
import java.util.Set;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;

/**
 * This node's Hazelcast member. With no members configured it forms a one-member cluster that never looks for
 * others (no multicast, no TCP scan); with members it joins them over TCP/IP.
 *
 * <p>Hazelcast Community Edition has no CP subsystem, so nothing here is trusted for mutual exclusion: the primary
 * role is fenced in the database (the cluster issue builds it on this member).
 */
public final class ClusterNode implements AutoCloseable {

    /** The member attribute that carries {@link ClusterSettings#nodeId()}. */
    public static final String NODE_ID_ATTRIBUTE = "ferry.node-id";

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    private static final String CONTROL_TOPIC = "ferry-cluster-control";
    private static final String NODES_MAP = "ferry-cluster-nodes";
    private static final String SESSIONS_MAP = "ferry-cluster-sessions";

    private final ClusterSettings settings;
    private final HazelcastInstance hazelcast;
    private final java.util.List<java.util.function.Consumer<ClusterMessage>> handlers =
            new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong lastDropLogged = new java.util.concurrent.atomic.AtomicLong(
            System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(2));

    public ClusterNode(ClusterSettings settings) {
        this.settings = settings;
        this.hazelcast = Hazelcast.newHazelcastInstance(config(settings));
        hazelcast.<String>getTopic(CONTROL_TOPIC).addMessageListener(received -> dispatch(received.getMessageObject()));
        log.info("Node {} joined cluster '{}' with {} member(s)", settings.nodeId(), settings.clusterName(),
                hazelcast.getCluster().getMembers().size());
    }

    static Config config(ClusterSettings settings) {
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, settings.nodeId());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // Notice a dead member in seconds, not Hazelcast's default 60 s.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(100);
        network.getInterfaces().setEnabled(false);
        network.setPublicAddress(null);
        config.setProperty("hazelcast.local.localAddress", settings.bindAddress());
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> members = settings.members();
        join.getTcpIpConfig().setEnabled(!members.isEmpty()).setMembers(members);
        return config;
    }

    public String nodeId() {
        return settings.nodeId();
    }

    public String clusterName() {
        return settings.clusterName();
    }

    /** The defender's failure counts and bans, shared by every member. */
    public SharedBans bans() {
        return new SharedBans(hazelcast.getMap("ferry.defender.failures"), hazelcast.getMap("ferry.defender.bans"));
    }

    /** The node ids of the members this node currently sees, itself included. */
    public List<String> memberNodeIds() {
        Set<Member> members = hazelcast.getCluster().getMembers();
        return members.stream().map(m -> m.getAttribute(NODE_ID_ATTRIBUTE)).toList();
    }

    /** Runs {@code action} with the node id whenever a member leaves (died, partitioned away, or shut down). */
    public void onMemberLeft(java.util.function.Consumer<String> action) {
        hazelcast.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
            @Override
            public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
                // a new member takes no role on joining: it is a standby until it wins an election
            }

            @Override
            public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
                String left = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
                log.info("Member {} left the cluster", left);
                action.accept(left);
            }
        });
    }

    /** Whether this node is the oldest member (Hazelcast's master): one node that speaks for the cluster. */
    public boolean isOldestMember() {
        return hazelcast.getCluster().getMembers().iterator().next().localMember();
    }

    /** Sends a control message to every member (this one included). */
    public void broadcast(ClusterMessage message) {
        hazelcast.<String>getTopic(CONTROL_TOPIC).publish(ClusterMessage.encode(message));
    }

    /**
     * Hears the control messages of one type. The topic has one listener of this node's: it reads each message once
     * and hands it to the handlers of its type; what no type of {@link ClusterMessage} reads as is dropped and logged
     * (escaped; at most once a minute), since a member of the cluster network can send anything.
     */
    public <T extends ClusterMessage> void onMessage(Class<T> type, java.util.function.Consumer<T> handler) {
        handlers.add(message -> {
            if (type.isInstance(message)) {
                handler.accept(type.cast(message));
            }
        });
    }

    private void dispatch(String wire) {
        java.util.Optional<ClusterMessage> message = ClusterMessage.decode(wire);
        if (message.isEmpty()) {
            long now = System.nanoTime();
            long last = lastDropLogged.get();
            if (now - last > java.util.concurrent.TimeUnit.MINUTES.toNanos(1) && lastDropLogged.compareAndSet(last, now)) {
                log.warn("Dropped a control message that is none of Ferry's: {}", LogText.quoted(wire));
            }
            return;
        }
        for (java.util.function.Consumer<ClusterMessage> handler : handlers) {
            try {
                handler.accept(message.get());
            } catch (RuntimeException e) {
                log.warn("Handling {} failed: {}", message.get(), e.toString());
            }
        }
    }

    /**
     * Publishes what this node says about itself (role, mode, readiness...) for the cluster view; it disappears
     * {@code ttl} after the last publication, so a dead node drops out by itself.
     */
    public void publishInfo(java.util.Map<String, String> info, java.time.Duration ttl) {
        hazelcast.<String, java.util.HashMap<String, String>>getMap(NODES_MAP).put(settings.nodeId(),
                new java.util.HashMap<>(info), ttl.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Publishes this node's live sessions (each a map of fields) for the cluster-wide list; gone {@code ttl} after. */
    public void publishSessions(java.util.List<java.util.Map<String, String>> sessions, java.time.Duration ttl) {
        java.util.ArrayList<java.util.HashMap<String, String>> copy = new java.util.ArrayList<>();
        sessions.forEach(s -> copy.add(new java.util.HashMap<>(s)));
        hazelcast.<String, java.util.ArrayList<java.util.HashMap<String, String>>>getMap(SESSIONS_MAP)
                .put(settings.nodeId(), copy, ttl.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The sessions every live node published, by node id. */
    public java.util.Map<String, java.util.List<java.util.Map<String, String>>> sessionsByNode() {
        java.util.Map<String, java.util.List<java.util.Map<String, String>>> all = new java.util.TreeMap<>();
        hazelcast.<String, java.util.ArrayList<java.util.HashMap<String, String>>>getMap(SESSIONS_MAP)
                .forEach((node, list) -> all.put(node, new java.util.ArrayList<>(list)));
        return all;
    }

    /** What every live node published about itself, by node id. */
    public java.util.Map<String, java.util.Map<String, String>> nodesInfo() {
        java.util.Map<String, java.util.Map<String, String>> nodes = new java.util.TreeMap<>();
        hazelcast.<String, java.util.HashMap<String, String>>getMap(NODES_MAP).forEach(nodes::put);
        return nodes;
    }

    public boolean isRunning() {
        return hazelcast.getLifecycleService().isRunning();
    }

    @Override
    public void close() {
        hazelcast.shutdown();
    }
}
