package io.ferry.edge;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.ClientAddresses;
import io.ferry.common.ConnectionLimits;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Protection at the door, before any byte goes to a node: the connection limits every partner door keeps
 * ({@link ConnectionLimits}: {@code max-sessions} at once, {@code max-per-address} from one address,
 * {@code connections-per-minute} new ones a minute from one address, {@code max-startups} waiting to log in), and an
 * address with {@code ban-after} failed logins within
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
    /** The connection limits every partner door keeps, node and edge alike. */
    private final ConnectionLimits connections;
    private volatile java.util.function.BiConsumer<String, java.time.Duration> onBan = (address, duration) -> { };

    Door(EdgeProperties.Limits limits, Clock clock, MeterRegistry meters) {
        this.limits = limits;
        this.clock = clock;
        this.meters = meters;
        this.allowList = limits.allowList().stream().map(rule -> ClientAddresses.rule("ferry.edge.limits.allow-list",
                rule)).collect(Collectors.toUnmodifiableSet());
        this.connections = new ConnectionLimits(new ConnectionLimits.Settings(limits.maxSessions(),
                limits.maxPerAddress(), limits.connectionsPerMinute(), limits.maxStartups(), allowList), clock);
    }

    /** Why a new connection from this address is refused, or empty if it is let in (and then counted as open). */
    Optional<String> admit(String address) {
        if (banned(address)) {
            meters.counter("ferry.edge.refused", "reason", "banned").increment();
            return Optional.of("banned");
        }
        Optional<ConnectionLimits.Refusal> refused = connections.admit(address);
        refused.ifPresent(refusal -> meters.counter("ferry.edge.refused", "reason", refusal.tag()).increment());
        return refused.map(ConnectionLimits.Refusal::message);
    }

    /** A connection {@link #admit(String) let in} logged in. */
    void loggedIn() {
        connections.loggedIn();
    }

    /** A connection {@link #admit(String) let in} ended; {@code loggedIn}: whether {@link #loggedIn} was told. */
    void closed(String address, boolean loggedIn) {
        connections.closed(address, loggedIn);
    }

    int open() {
        return connections.open();
    }

    boolean banned(String client) {
        String address = ClientAddresses.group(client); // bans hold an IPv6 host's whole /64
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
    void bannedUntil(String client, Instant until) {
        String address = ClientAddresses.group(client);
        if (ClientAddresses.matches(allowList, client) || !until.isAfter(clock.instant())) {
            return;
        }
        Map<String, Instant> next = new java.util.HashMap<>(clusterBans);
        next.put(address, until);
        clusterBans = Map.copyOf(next);
    }

    /** The cluster's bans as a node listed them: they replace the last list (so a lifted ban is lifted here). */
    void clusterBans(Map<String, Instant> bans) {
        Map<String, Instant> next = new java.util.HashMap<>(bans);
        next.keySet().removeIf(address -> ClientAddresses.matches(allowList, address));
        clusterBans = Map.copyOf(next);
    }

    /** Counts a failed login; true if it got the address banned. */
    boolean failed(String client) {
        String address = ClientAddresses.group(client);
        if (ClientAddresses.matches(allowList, client)) {
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
        connections.sweep();
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
