package io.ferry.cluster;

import java.util.List;
import java.util.Objects;

/**
 * What a node needs to join (or form) its Hazelcast cluster.
 *
 * @param clusterName   the Hazelcast cluster name; members with another name never join
 * @param nodeId        this node's stable id, written into the transfer log and role history
 * @param bindAddress   the address Hazelcast binds and advertises
 * @param port          the first Hazelcast port tried; later ones are tried when it is taken
 * @param members       other members' {@code host[:port]}; empty means a one-member cluster that joins no one
 */
public record ClusterSettings(String clusterName, String nodeId, String bindAddress, int port, List<String> members) {

    public ClusterSettings {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(bindAddress, "bindAddress");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 1-65535, was " + port);
        }
        members = members == null ? List.of() : List.copyOf(members);
    }
}
