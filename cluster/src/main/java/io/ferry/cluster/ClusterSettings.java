package io.ferry.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a node needs to join (or form) its Hazelcast cluster.
 *
 * @param clusterName   the Hazelcast cluster name; members with another name never join
 * @param nodeId        this node's stable id, written into the transfer log and role history
 * @param bindAddress   the address Hazelcast binds and advertises
 * @param port          the first Hazelcast port tried; later ones are tried when it is taken
 * @param members       other members' {@code host[:port]}; empty means a one-member cluster that joins no one, and
 *                      a member at any other address is removed
 * @param proofTimeout  how long a new member has to prove it holds the cluster secret before it is removed
 * @param secret        the cluster secret (32 bytes or more, the same on every node; derived from the master key):
 *                      it signs the control messages and seals what nodes share
 */
public record ClusterSettings(String clusterName, String nodeId, String bindAddress, int port, List<String> members,
        Duration proofTimeout, byte[] secret) {

    private static final Pattern NODE_ID = Pattern.compile("[\\x21-\\x7e]{1,128}");

    public ClusterSettings {
        Objects.requireNonNull(clusterName, "clusterName");
        Objects.requireNonNull(nodeId, "nodeId");
        if (!NODE_ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("the node id must be 1-128 printable ASCII characters without spaces");
        }
        if (secret == null || secret.length < 32) {
            throw new IllegalArgumentException("the cluster secret must be at least 32 bytes");
        }
        secret = secret.clone();
        proofTimeout = proofTimeout == null ? Duration.ofSeconds(15) : proofTimeout;
        Objects.requireNonNull(bindAddress, "bindAddress");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("cluster port must be 1-65535, was " + port);
        }
        members = members == null ? List.of() : List.copyOf(members);
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public String toString() {
        return "ClusterSettings[clusterName=" + clusterName + ", nodeId=" + nodeId + ", bindAddress=" + bindAddress
                + ", port=" + port + ", members=" + members + "]";
    }
}
