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

    private final ClusterSettings settings;
    private final HazelcastInstance hazelcast;

    public ClusterNode(ClusterSettings settings) {
        this.settings = settings;
        this.hazelcast = Hazelcast.newHazelcastInstance(config(settings));
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

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** The node ids of the members this node currently sees, itself included. */
    public List<String> memberNodeIds() {
        Set<Member> members = hazelcast.getCluster().getMembers();
        return members.stream().map(m -> m.getAttribute(NODE_ID_ATTRIBUTE)).toList();
    }

    public boolean isRunning() {
        return hazelcast.getLifecycleService().isRunning();
    }

    @Override
    public void close() {
        hazelcast.shutdown();
    }
}
