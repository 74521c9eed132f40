package io.ferry.edge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The edge's whole configuration ({@code ferry.edge.*}): its own name and secret, the nodes' internal listeners and
 * the host keys they must present, and its own listener and limits. Nothing of the back end's: no database, no
 * storage, no keys but its own secret.
 *
 * @param name              this edge's name, as registered with {@code POST /api/v1/edges}
 * @param secret            the secret the registration answered with
 * @param backends          the nodes' internal listeners, {@code host:port}
 * @param backendHostKeys   SHA-256 fingerprints ({@code SHA256:...}) the nodes' host key must match, any one of them
 * @param routing           how a partner's session picks its node
 * @param healthInterval    how often each node is asked whether it serves partners
 * @param backendTimeout    how long a node has to answer; a node that does not is taken out of service
 * @param sftp              the partners' SFTP listener
 * @param ftps              the partners' FTPS listeners
 * @param limits            protection at the door
 * @param failover          carrying partners' sessions over to another node when theirs dies
 * @param managementToken   the token ({@code Authorization: Bearer ...}) that shows the health endpoint's details;
 *                          empty: nobody sees them
 */
@ConfigurationProperties("ferry.edge")
public record EdgeProperties(
        String name,
        String secret,
        @DefaultValue List<String> backends,
        @DefaultValue List<String> backendHostKeys,
        @DefaultValue("least-connections") Routing routing,
        @DefaultValue("500ms") Duration healthInterval,
        @DefaultValue("1s") Duration backendTimeout,
        @DefaultValue Sftp sftp,
        @DefaultValue Ftps ftps,
        @DefaultValue Limits limits,
        @DefaultValue("") String managementToken,
        @DefaultValue Identity identity,
        @DefaultValue Failover failover) {

    /** How a new session picks among the nodes that serve partners. */
    public enum Routing {
        /** The node with the fewest sessions this edge relays to it now. */
        LEAST_CONNECTIONS,
        /** The same node for the same client address while that node serves (its hash over the nodes). */
        CLIENT_IP
    }

    /**
     * @param enabled     whether the edge offers SFTP
     * @param port        TCP port; 0 picks a free one (tests)
     * @param bindAddress address to listen on
     * @param windowSize  SSH channel window, both to the partner and to the node
     */
    public record Sftp(@DefaultValue("true") boolean enabled, @DefaultValue("2222") int port,
            @DefaultValue("0.0.0.0") String bindAddress, @DefaultValue("8388608") long windowSize) {
    }

    /**
     * FTPS at the edge: a partner's operations run on an SFTP session to its node.
     *
     * @param enabled         whether the edge offers FTPS
     * @param explicitEnabled explicit FTPS ({@code AUTH TLS}) on {@code explicitPort}
     * @param explicitPort    TCP port of explicit FTPS
     * @param implicitEnabled implicit FTPS (TLS from the first byte) on {@code implicitPort}
     * @param implicitPort    TCP port of implicit FTPS
     * @param bindAddress     address to listen on
     * @param passivePorts    the edge's own passive data ports ({@code 30000-30100})
     * @param passiveAddress  the address to announce for passive data (behind NAT); empty: the one connected to
     */
    public record Ftps(@DefaultValue("true") boolean enabled, @DefaultValue("true") boolean explicitEnabled,
            @DefaultValue("2121") int explicitPort, @DefaultValue("true") boolean implicitEnabled,
            @DefaultValue("9990") int implicitPort, @DefaultValue("0.0.0.0") String bindAddress,
            @DefaultValue("30000-30100") String passivePorts, @DefaultValue("") String passiveAddress) {
    }

    /**
     * @param maxSessions      sessions open at once, all partners together
     * @param maxPerAddress    connections open at once from one address
     * @param connectionsPerMinute new connections a minute from one address
     * @param maxStartups      connections not logged in yet, as OpenSSH's {@code MaxStartups start:rate:full}
     * @param authTimeout      time a client has to authenticate after connecting
     * @param idleTimeout      a session with no traffic for this long is closed
     * @param maxAuthAttempts  authentication attempts per connection
     * @param banAfter         failed logins from one address, within {@code banWindow}, that ban it
     * @param banWindow        the window failed logins are counted in
     * @param banFor           how long a ban lasts
     * @param allowList        addresses never banned (monitoring, known partners)
     */
    public record Limits(@DefaultValue("1000") int maxSessions, @DefaultValue("20") int maxPerAddress,
            @DefaultValue("120") int connectionsPerMinute, @DefaultValue("10:30:100") String maxStartups,
            @DefaultValue("30s") Duration authTimeout, @DefaultValue("10m") Duration idleTimeout,
            @DefaultValue("6") int maxAuthAttempts, @DefaultValue("10") int banAfter,
            @DefaultValue("5m") Duration banWindow, @DefaultValue("15m") Duration banFor,
            @DefaultValue List<String> allowList) {
    }

    /**
     * The edge's own identity, for sites that keep every node key out of the DMZ (the nodes then set
     * {@code ferry.edge-listener.share-identity=false}); partners pin each edge's host key and certificate. Unset, the
     * edge presents the cluster's, which a node gives it.
     *
     * @param hostKeys            the edge's SSH host key files (OpenSSH or PEM private keys, readable by the owner
     *                            only)
     * @param tlsKeystore         the edge's FTPS certificate and key: a PKCS#12 file (readable by the owner only)
     * @param tlsKeystorePassword its password
     */
    public record Identity(@DefaultValue List<Path> hostKeys, Path tlsKeystore,
            @DefaultValue("") String tlsKeystorePassword) {

        public Identity {
            hostKeys = hostKeys == null ? List.of() : List.copyOf(hostKeys);
            tlsKeystorePassword = tlsKeystorePassword == null ? "" : tlsKeystorePassword;
        }
    }

    /**
     * What the edge does when the node serving a partner's session dies ({@code ferry.edge.failover.*}): it opens
     * the session on another node and carries on, so the partner sees a pause (docs/edge.md).
     *
     * @param enabled         whether sessions are carried over; off, the partner's session ends with its node's
     * @param timeout         how long a session waits for a node to take it (in active-passive mode, the new
     *                        primary) before it ends
     * @param checkpointBytes how much of an upload the edge sends before it asks the node to make it durable
     * @param maxHeldBytes    how much of an upload, sent since its last durable point, the edge keeps in memory (to
     *                        send again to the next node); the partner's window closes while it holds this much
     */
    public record Failover(@DefaultValue("true") boolean enabled, @DefaultValue("60s") Duration timeout,
            @DefaultValue("8388608") long checkpointBytes, @DefaultValue("33554432") long maxHeldBytes) {

        public Failover {
            if (checkpointBytes <= 0 || maxHeldBytes < checkpointBytes) {
                throw new IllegalArgumentException("ferry.edge.failover: checkpoint-bytes must be > 0 and at most "
                        + "max-held-bytes");
            }
        }
    }

    public EdgeProperties {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("ferry.edge.name is required: the name the edge was registered with");
        }
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("ferry.edge.secret is required: the secret POST /api/v1/edges gave");
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("ferry.edge.backends is required: host:port of each node's edge"
                    + " listener");
        }
        if (backendHostKeys.isEmpty()) {
            throw new IllegalArgumentException("ferry.edge.backend-host-keys is required: the nodes' host-key"
                    + " fingerprints (SHA256:...), as POST /api/v1/edges lists them");
        }
        identity = identity == null ? new Identity(List.of(), null, "") : identity;
        failover = failover == null ? new Failover(true, Duration.ofSeconds(60), 8L << 20, 32L << 20) : failover;
        backends = List.copyOf(backends);
        backendHostKeys = List.copyOf(backendHostKeys);
    }
}
