package io.ferry.transfer.node;

import java.util.List;
import java.util.Set;

import org.springframework.boot.context.properties.bind.DefaultValue;

import io.ferry.common.ConnectionLimits;

/**
 * A partner listener's limits before any login ({@code ferry.sftp.limits.*}, {@code ferry.ftps.limits.*}), no
 * looser than OpenSSH's defaults.
 *
 * @param maxConnections       connections open at once, all addresses together
 * @param maxPerAddress        connections open at once from one address
 * @param connectionsPerMinute new connections a minute from one address
 * @param maxStartups          connections not logged in yet, as OpenSSH's {@code MaxStartups start:rate:full}: past
 *                             {@code start} a new one is dropped with a chance rising from {@code rate}% to 100% at
 *                             {@code full}
 * @param allowList            addresses held to none of the per-address limits (monitoring, a partner's gateway)
 */
public record DoorLimits(
        @DefaultValue("1000") int maxConnections,
        @DefaultValue("50") int maxPerAddress,
        @DefaultValue("300") int connectionsPerMinute,
        @DefaultValue("10:30:100") String maxStartups,
        @DefaultValue List<String> allowList) {

    /** The defaults, for listeners built by hand. */
    public static final DoorLimits DEFAULTS = new DoorLimits(1000, 50, 300, "10:30:100", List.of());

    public DoorLimits {
        allowList = List.copyOf(allowList);
        settings(maxConnections, maxPerAddress, connectionsPerMinute, maxStartups, allowList); // checks them
    }

    /** As {@link ConnectionLimits} takes them. */
    public ConnectionLimits.Settings settings() {
        return settings(maxConnections, maxPerAddress, connectionsPerMinute, maxStartups, allowList);
    }

    private static ConnectionLimits.Settings settings(int maxConnections, int maxPerAddress, int connectionsPerMinute,
            String maxStartups, List<String> allowList) {
        return new ConnectionLimits.Settings(maxConnections, maxPerAddress, connectionsPerMinute, maxStartups,
                Set.copyOf(allowList));
    }
}
