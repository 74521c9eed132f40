package io.ferry.transfer.sftp;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The internal listener edge gateways connect to ({@code ferry.edge-listener.*}). Off by default: a node that no
 * edge fronts needs no second port. Bind it to the network the edges reach the node on, never the internet side.
 *
 * @param enabled     whether the node accepts edges
 * @param port        TCP port; 0 picks a free one (tests)
 * @param bindAddress address to listen on
 * @param shareIdentity whether edges are given the cluster's SSH host keys and FTPS certificate with its key, to
 *                    present as their own; false keeps every node key out of the DMZ, and each edge must then have
 *                    its own ({@code ferry.edge.identity.*}), which partners pin
 */
@ConfigurationProperties("ferry.edge-listener")
public record EdgeListenerProperties(
        @DefaultValue("false") boolean enabled,
        @DefaultValue("2223") int port,
        @DefaultValue("0.0.0.0") String bindAddress,
        @DefaultValue("true") boolean shareIdentity) {

    public EdgeListenerProperties {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ferry.edge-listener.port must be 0-65535, was " + port);
        }
    }
}
