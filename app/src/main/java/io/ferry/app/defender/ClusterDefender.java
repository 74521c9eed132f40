package io.ferry.app.defender;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.SharedBans;
import io.ferry.common.ClientAddresses;
import io.ferry.common.LogText;
import io.ferry.transfer.node.Defender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The cluster-wide defender on the cluster's shared maps ({@link SharedBans}): failed logins per address are counted in fixed windows (an entry per
 * address and window, expiring after two windows), and bans live in a map whose entries expire when the ban ends.
 * Every node and, through them, every edge sees the same counts and bans within moments; a node that dies takes
 * none with it (the maps have a backup). Allow-listed addresses are never counted or banned.
 */
public final class ClusterDefender implements Defender {

    private static final Logger log = LoggerFactory.getLogger(ClusterDefender.class);

    private final DefenderProperties properties;
    private final SharedBans shared;
    private final Set<String> allowList;
    private final MeterRegistry meters;
    private volatile java.util.function.IntSupplier maxFailures;
    private volatile java.util.function.Supplier<java.time.Duration> banTime;

    /** Run-time setting names for the two limits administrators tune while the cluster runs. */
    public static final String MAX_FAILURES = "defender.max-failures";
    public static final String BAN_TIME = "defender.ban-time";

    public ClusterDefender(ClusterNode node, DefenderProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.maxFailures = properties::maxFailures;
        this.banTime = properties::banTime;
        this.shared = node.bans();
        this.allowList = properties.allowList().stream().map(rule -> ClientAddresses.rule("ferry.defender.allow-list",
                rule)).collect(Collectors.toUnmodifiableSet());
        this.meters = meters;
        // registered now, so that dashboards and alerts see 0 rather than no series until the first failure
        meters.counter("ferry.defender.failures");
        meters.counter("ferry.defender.bans");
        Gauge.builder("ferry.defender.banned", shared, SharedBans::size).description("addresses banned now")
                .register(meters);
        FunctionCounter.builder("ferry.defender.ban.lookups.unanswered", shared, SharedBans::unanswered)
                .description("connections let in because the cluster did not say in time whether the address is"
                        + " banned (a member cut off, not yet declared gone)").register(meters);
    }

    /** Reads the limits from the run-time settings (changed from the console or the API) from now on. */
    public void follow(io.ferry.transfer.node.RuntimeSettings settings) {
        this.maxFailures = () -> Integer.parseInt(settings.value(MAX_FAILURES));
        this.banTime = () -> org.springframework.boot.convert.DurationStyle.detectAndParse(settings.value(BAN_TIME));
    }

    /** The two limits as they are now. */
    public int maxFailures() {
        return maxFailures.getAsInt();
    }

    public java.time.Duration banTime() {
        return banTime.get();
    }

    /** The run-time settings of the defender, with the configured values as their defaults. */
    public static java.util.List<io.ferry.transfer.node.RuntimeSettings.Definition> runtimeSettings(
            DefenderProperties properties) {
        return java.util.List.of(
                new io.ferry.transfer.node.RuntimeSettings.Definition(MAX_FAILURES,
                        String.valueOf(properties.maxFailures()), "failed logins from one address within "
                                + properties.window() + " that ban it (every node and edge)",
                        io.ferry.transfer.node.RuntimeSettings.positive(MAX_FAILURES)),
                new io.ferry.transfer.node.RuntimeSettings.Definition(BAN_TIME,
                        org.springframework.boot.convert.DurationStyle.SIMPLE.print(properties.banTime()),
                        "how long an automatic ban lasts (30s, 15m, 2h, 1d)", value -> {
                            try {
                                java.time.Duration d = org.springframework.boot.convert.DurationStyle.detectAndParse(value);
                                if (!d.isNegative() && !d.isZero()) {
                                    return value;
                                }
                            } catch (IllegalArgumentException e) {
                                // below
                            }
                            throw new IllegalArgumentException(BAN_TIME + " must be a positive duration such as 15m or "
                                    + "2h, not " + value);
                        }));
    }

    @Override
    public Optional<Instant> bannedUntil(String address) {
        if (!properties.enabled() || address == null) {
            return Optional.empty();
        }
        Long until = shared.bannedUntil(ClientAddresses.group(address)); // bans in force only
        return until == null ? Optional.empty() : Optional.of(Instant.ofEpochMilli(until));
    }

    @Override
    public void failed(String client) {
        if (!properties.enabled() || client == null || ClientAddresses.matches(allowList, client)) {
            return;
        }
        String address = ClientAddresses.group(client); // an IPv6 host counts by its /64
        long window = properties.window().toMillis();
        String key = address + "|" + System.currentTimeMillis() / window;
        long count = shared.countFailure(key, Duration.ofMillis(2 * window));
        meters.counter("ferry.defender.failures").increment();
        // at the limit or past it (a limit lowered at run time below a count already reached bans at the next one)
        if (count >= maxFailures.getAsInt() && !shared.isBanned(address)) {
            ban(address, banTime.get(), count + " failed logins within " + properties.window());
        }
    }

    @Override
    public boolean failedRecently(String client) {
        if (!properties.enabled() || client == null) {
            return false;
        }
        String address = ClientAddresses.group(client);
        long window = properties.window().toMillis();
        long current = System.currentTimeMillis() / window;
        return shared.failures(address + "|" + current) + shared.failures(address + "|" + (current - 1)) > 0;
    }

    @Override
    public void ban(String client, Duration duration, String reason) {
        if (!properties.enabled() || ClientAddresses.matches(allowList, client)) {
            return;
        }
        String address = ClientAddresses.group(client);
        long until = System.currentTimeMillis() + duration.toMillis();
        shared.ban(address, until);
        meters.counter("ferry.defender.bans").increment();
        log.warn("Banned {} until {}: {}", LogText.quoted(address), Instant.ofEpochMilli(until),
                LogText.escaped(reason));
    }

    @Override
    public boolean unban(String client) {
        String address = ClientAddresses.group(client);
        boolean lifted = shared.unban(address);
        if (lifted) {
            log.info("Ban on {} lifted", address);
        }
        return lifted;
    }

    @Override
    public Map<String, Instant> bans() {
        Map<String, Instant> now = new HashMap<>();
        shared.all().forEach((address, until) -> now.put(address, Instant.ofEpochMilli(until))); // in force only
        return now;
    }
}
