package io.ferry.app.defender;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.node.Defender;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The cluster-wide defender on Hazelcast maps: failed logins per address are counted in fixed windows (an entry per
 * address and window, expiring after two windows), and bans live in a map whose entries expire when the ban ends.
 * Every node and, through them, every edge sees the same counts and bans within moments; a node that dies takes
 * none with it (the maps have a backup). Allow-listed addresses are never counted or banned.
 */
public final class ClusterDefender implements Defender {

    private static final Logger log = LoggerFactory.getLogger(ClusterDefender.class);

    private final DefenderProperties properties;
    private final IMap<String, Long> failures;
    private final IMap<String, Long> bans;
    private final Set<String> allowList;
    private final MeterRegistry meters;

    public ClusterDefender(ClusterNode node, DefenderProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.failures = node.hazelcast().getMap("ferry.defender.failures");
        this.bans = node.hazelcast().getMap("ferry.defender.bans");
        this.allowList = Set.copyOf(properties.allowList());
        this.meters = meters;
        Gauge.builder("ferry.defender.banned", bans, IMap::size).description("addresses banned now")
                .register(meters);
    }

    @Override
    public Optional<Instant> bannedUntil(String address) {
        if (!properties.enabled() || address == null) {
            return Optional.empty();
        }
        Long until = bans.get(address);
        return until == null || until <= System.currentTimeMillis() ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(until));
    }

    @Override
    public void failed(String address) {
        if (!properties.enabled() || address == null || allowList.contains(address)) {
            return;
        }
        long window = properties.window().toMillis();
        String key = address + "|" + System.currentTimeMillis() / window;
        Long count = failures.executeOnKey(key, new Increment());
        if (count != null && count == 1) {
            failures.setTtl(key, 2 * window, TimeUnit.MILLISECONDS);
        }
        meters.counter("ferry.defender.failures").increment();
        if (count != null && count == properties.maxFailures()) {
            ban(address, properties.banTime(), count + " failed logins within " + properties.window());
        }
    }

    @Override
    public void ban(String address, Duration duration, String reason) {
        if (!properties.enabled() || allowList.contains(address)) {
            return;
        }
        long until = System.currentTimeMillis() + duration.toMillis();
        bans.put(address, until, duration.toMillis(), TimeUnit.MILLISECONDS);
        meters.counter("ferry.defender.bans").increment();
        log.warn("Banned {} until {}: {}", address, Instant.ofEpochMilli(until), reason);
    }

    @Override
    public boolean unban(String address) {
        boolean lifted = bans.remove(address) != null;
        if (lifted) {
            log.info("Ban on {} lifted", address);
        }
        return lifted;
    }

    @Override
    public Map<String, Instant> bans() {
        Map<String, Instant> now = new HashMap<>();
        long time = System.currentTimeMillis();
        bans.forEach((address, until) -> {
            if (until > time) {
                now.put(address, Instant.ofEpochMilli(until));
            }
        });
        return now;
    }

    /** Adds one to a counter, on the member that owns it. */
    static final class Increment implements EntryProcessor<String, Long, Long>, Serializable {
        private static final long serialVersionUID = 1L;

        @Override
        public Long process(Map.Entry<String, Long> entry) {
            long next = entry.getValue() == null ? 1 : entry.getValue() + 1;
            entry.setValue(next);
            return next;
        }
    }
}
