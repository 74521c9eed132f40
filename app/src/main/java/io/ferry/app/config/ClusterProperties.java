package io.ferry.app.config;

import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Cluster membership ({@code ferry.cluster.*}).
 *
 * @param name        Hazelcast cluster name; nodes with different names never join
 * @param nodeId      this node's id in the transfer log and cluster views; empty means the host name
 * @param bindAddress address Hazelcast binds and advertises; the loopback default keeps a single node private
 * @param port        first Hazelcast port tried (the next ones are tried if it is taken)
 * @param members     other members' {@code host[:port]}; empty means a one-member cluster that joins no one
 */
@ConfigurationProperties("ferry.cluster")
public record ClusterProperties(
        @DefaultValue("ferry") String name,
        String nodeId,
        @DefaultValue("127.0.0.1") String bindAddress,
        @DefaultValue("5701") int port,
        @DefaultValue List<String> members) {
}
