package io.ferry.edge;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * Protection at the door, before any byte goes to a node: at most {@code max-sessions} connections at once, at
 * most {@code max-per-address} from one address, at most {@code connections-per-minute} new connections a minute
 * from one address, and an address with {@code ban-after} failed logins within
 * {@code ban-window} is banned for {@code ban-for} (its connections are dropped on accept). Addresses on the
 * allow-list are never banned.
 */
final class Door {

    private static final Logger log = LoggerFactory.getLogger(Door.class);

    private final EdgeProperties.Limits limits;
    private final Clock clock;
    private final MeterRegistry meters;
    private final Set<String> allowList;
    private final Map<String, Instant> bans = new ConcurrentHashMap<>();
    private volatile Map<String, Instant> clusterBans = Map.of();
    private final Map<String, Deque<Instant>> failures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<String, Deque<Instant>> arrivals = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private volatile java.util.function.BiConsumer<String, java.time.Duration> onBan = (address, duration) -> { };

    Door(EdgeProperties.Limits limits, Clock clock, MeterRegistry meters) {
        this.limits = limits;
        this.clock = clock;
        this.meters = meters;
        this.allowList = Set.copyOf(limits.allowList());
    }

    /** Why a new connection from this address is refused, or empty if it is let in (and then counted as open). */
    Optional<String> admit(String address) {
        if (banned(address)) {
            meters.counter("ferry.edge.refused", "reason", "banned").increment();
            return Optional.of("banned");
        }
        if (!allowList.contains(address) && tooFast(address)) {
            meters.counter("ferry.edge.refused", "reason", "rate").increment();
            return Optional.of("more than " + limits.connectionsPerMinute() + " connections a minute");
        }
        if (total.incrementAndGet() > limits.maxSessions()) {
            total.decrementAndGet();
            meters.counter("ferry.edge.refused", "reason", "max-sessions").increment();
            return Optional.of("too many sessions");
        }
        boolean[] over = new boolean[1];
        open.compute(address, (a, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            over[0] = count.get() >= limits.maxPerAddress();
            if (!over[0]) {
                count.incrementAndGet();
            }
            return count.get() == 0 ? null : count;
        });
        if (over[0]) {
            total.decrementAndGet();
            meters.counter("ferry.edge.refused", "reason", "max-per-address").increment();
            return Optional.of("too many connections from " + address);
        }
        return Optional.empty();
    }

    /** Counts a new connection from the address; true if it is one more than the last minute allows. */
    private boolean tooFast(String address) {
        Instant now = clock.instant();
        Deque<Instant> times = arrivals.computeIfAbsent(address, a -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && !times.peekFirst().isAfter(now.minusSeconds(60))) {
                times.removeFirst();
            }
            if (times.size() >= limits.connectionsPerMinute()) {
                return true;
            }
            times.addLast(now);
            return false;
        }
    }

    /** A connection {@link #admit(String) let in} ended. */
    void closed(String address) {
        total.decrementAndGet();
        open.computeIfPresent(address, (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    int open() {
        return total.get();
    }

    boolean banned(String address) {
        Instant cluster = clusterBans.get(address);
        if (cluster != null && cluster.isAfter(clock.instant())) {
            return true;
        }
        Instant until = bans.get(address);
        if (until == null) {
            return false;
        }
        if (until.isBefore(clock.instant())) {
            bans.remove(address, until);
            return false;
        }
        return true;
    }

    /** Who hears of the bans this door decides (the cluster's defender, through a node). */
    void onBan(java.util.function.BiConsumer<String, java.time.Duration> listener) {
        this.onBan = listener;
    }

    /** A ban the cluster decided (a node's answer to a login): dropped at the door until the next sync says. */
    void bannedUntil(String address, Instant until) {
        if (allowList.contains(address) || !until.isAfter(clock.instant())) {
            return;
        }
        Map<String, Instant> next = new java.util.HashMap<>(clusterBans);
        next.put(address, until);
        clusterBans = Map.copyOf(next);
    }

    /** The cluster's bans as a node listed them: they replace the last list (so a lifted ban is lifted here). */
    void clusterBans(Map<String, Instant> bans) {
        Map<String, Instant> next = new java.util.HashMap<>(bans);
        next.keySet().removeAll(allowList);
        clusterBans = Map.copyOf(next);
    }

    /** Counts a failed login; true if it got the address banned. */
    boolean failed(String address) {
        if (allowList.contains(address)) {
            return false;
        }
        Instant now = clock.instant();
        Deque<Instant> times = failures.computeIfAbsent(address, a -> new ArrayDeque<>());
        int count;
        synchronized (times) {
            times.addLast(now);
            while (!times.isEmpty() && times.peekFirst().isBefore(now.minus(limits.banWindow()))) {
                times.removeFirst();
            }
            count = times.size();
            if (count >= limits.banAfter()) {
                times.clear();
            }
        }
        if (count >= limits.banAfter()) {
            bans.put(address, now.plus(limits.banFor()));
            failures.remove(address);
            meters.counter("ferry.edge.bans").increment();
            log.warn("Banned {} for {}: {} failed logins within {}", address, limits.banFor(), count,
                    limits.banWindow());
            onBan.accept(address, limits.banFor());
            return true;
        }
        return false;
    }

    /** Bans lifted and counts forgotten as they expire, so the maps hold only live entries. */
    void sweep() {
        Instant now = clock.instant();
        bans.values().removeIf(until -> until.isBefore(now));
        arrivals.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                Instant last = e.getValue().peekLast();
                return last == null || !last.isAfter(now.minusSeconds(60));
            }
        });
        failures.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                Instant last = e.getValue().peekLast();
                return last == null || last.isBefore(now.minus(limits.banWindow()));
            }
        });
    }

    /** The bans in force at this door: its own and the cluster's. */
    Map<String, Instant> bans() {
        Map<String, Instant> all = new java.util.HashMap<>(clusterBans);
        bans.forEach((address, until) -> all.merge(address, until, (a, b) -> a.isAfter(b) ? a : b));
        all.values().removeIf(until -> !until.isAfter(clock.instant()));
        return Map.copyOf(all);
    }
}
