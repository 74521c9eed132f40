package io.ferry.app.config;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Cluster membership and roles ({@code ferry.cluster.*}).
 *
 * @param name          Hazelcast cluster name; nodes with different names never join
 * @param nodeId        this node's id in the transfer log and cluster views; empty means the host name
 * @param bindAddress   address Hazelcast binds and advertises; the loopback default keeps a single node private
 * @param port          first Hazelcast port tried (the next ones are tried if it is taken)
 * @param members       other members' {@code host[:port]}; empty means a one-member cluster that joins no one
 * @param mode          {@code active-active}: every node serves partners; {@code active-passive}: only the primary
 * @param leaseTtl      how long the primary's lease lasts without renewal: the longest a dead primary keeps the
 *                      role
 * @param renewInterval how often the primary renews its lease (at most half the time to live)
 * @param retryInterval how often a standby tries to take the lease (at once when a member leaves)
 * @param maxClockSkew  a node whose clock is further than this from the database's does not take the primary role
 * @param webhookUrl    where role changes and lost members are POSTed as JSON; empty: nowhere
 * @param memberProofTimeout how long a member that joined has to prove it holds the cluster secret (derived from the
 *                      master key) before it is removed
 */
@ConfigurationProperties("ferry.cluster")
public record ClusterProperties(
        @DefaultValue("ferry") String name,
        String nodeId,
        @DefaultValue("127.0.0.1") String bindAddress,
        @DefaultValue("5701") int port,
        @DefaultValue List<String> members,
        @DefaultValue("active-active") Mode mode,
        @DefaultValue("3s") Duration leaseTtl,
        @DefaultValue("1s") Duration renewInterval,
        @DefaultValue("500ms") Duration retryInterval,
        @DefaultValue("5s") Duration maxClockSkew,
        @DefaultValue("") String webhookUrl,
        @DefaultValue("15s") Duration memberProofTimeout) {

    public enum Mode {
        ACTIVE_ACTIVE, ACTIVE_PASSIVE;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }
}
