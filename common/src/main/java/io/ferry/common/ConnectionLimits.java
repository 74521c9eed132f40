package io.ferry.common;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * What a partner door lets in, before any login, on a node's SFTP and FTPS listeners and at the edge alike: at most
 * {@code maxSessions} connections at once, at most {@code maxPerAddress} from one address, at most
 * {@code connectionsPerMinute} new ones a minute from one address, and connections that have not logged in yet
 * limited as OpenSSH's {@code MaxStartups start:rate:full} does: past {@code start} of them a new one is dropped with
 * a probability that rises from {@code rate}% to 100% at {@code full}. Addresses on the allow-list (addresses and
 * CIDR blocks) are held to none of the per-address limits, and an IPv6 client counts by its /64
 * ({@link ClientAddresses#group}). Memory is bounded by the connections open and the last minute's arrivals.
 */
public final class ConnectionLimits {

    /**
     * @param maxSessions          connections open at once, all addresses together
     * @param maxPerAddress        connections open at once from one address
     * @param connectionsPerMinute new connections a minute from one address
     * @param startups             OpenSSH's {@code MaxStartups}: {@code start:rate:full} (or one number, full)
     * @param allowList            addresses and CIDR blocks held to no per-address limit
     */
    public record Settings(int maxSessions, int maxPerAddress, int connectionsPerMinute, String startups,
            Set<String> allowList) {

        public Settings {
            if (maxSessions < 1 || maxPerAddress < 1 || connectionsPerMinute < 1) {
                throw new IllegalArgumentException("connection limits must be at least 1");
            }
            Startups.parse(startups);
            allowList = allowList.stream().map(rule -> ClientAddresses.rule("allow-list", rule))
                    .collect(Collectors.toUnmodifiableSet());
        }
    }

    /** Why a connection was refused: a word for meters, and what the client and the log are told. */
    public enum Refusal {
        MAX_SESSIONS("max-sessions", "too many sessions on this server"),
        MAX_PER_ADDRESS("max-per-address", "too many connections from this address"),
        RATE("rate", "too many new connections a minute from this address"),
        STARTUPS("startups", "too many connections waiting to log in");

        private final String tag;
        private final String message;

        Refusal(String tag, String message) {
            this.tag = tag;
            this.message = message;
        }

        public String tag() {
            return tag;
        }

        public String message() {
            return message;
        }
    }

    private record Startups(int start, int rate, int full) {
        static Startups parse(String text) {
            try {
                String[] parts = text.trim().split(":");
                if (parts.length == 1) {
                    int full = Integer.parseInt(parts[0]);
                    return check(new Startups(full, 100, full));
                }
                if (parts.length == 3) {
                    return check(new Startups(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]),
                            Integer.parseInt(parts[2])));
                }
            } catch (NumberFormatException e) {
                // said below
            }
            throw new IllegalArgumentException("max-startups must be start:rate:full (e.g. 10:30:100), not " + text);
        }

        private static Startups check(Startups s) {
            if (s.start < 1 || s.full < s.start || s.rate < 1 || s.rate > 100) {
                throw new IllegalArgumentException("max-startups needs 1 <= start <= full and a rate of 1-100");
            }
            return s;
        }
    }

    private final Settings settings;
    private final Startups startups;
    private final Clock clock;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger unauthenticated = new AtomicInteger();
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<String, Deque<Instant>> arrivals = new ConcurrentHashMap<>();
    /** When arrivals older than a minute were last forgotten (epoch milliseconds). */
    private final AtomicLong swept = new AtomicLong();

    public ConnectionLimits(Settings settings, Clock clock) {
        this.settings = settings;
        this.startups = Startups.parse(settings.startups());
        this.clock = clock;
    }

    /**
     * Lets a new connection in (it is then counted as open and not yet logged in) or says why not. A connection let
     * in is told {@link #loggedIn} once it logs in and {@link #closed} when it ends.
     */
    public Optional<Refusal> admit(String client) {
        boolean limited = !ClientAddresses.matches(settings.allowList(), client);
        String address = ClientAddresses.group(client); // an IPv6 host by its /64
        if (limited && tooFast(address)) {
            return Optional.of(Refusal.RATE);
        }
        if (startupDropped()) {
            return Optional.of(Refusal.STARTUPS);
        }
        if (total.incrementAndGet() > settings.maxSessions()) {
            total.decrementAndGet();
            return Optional.of(Refusal.MAX_SESSIONS);
        }
        boolean[] over = new boolean[1];
        open.compute(address, (a, n) -> {
            AtomicInteger count = n == null ? new AtomicInteger() : n;
            over[0] = limited && count.get() >= settings.maxPerAddress();
            if (!over[0]) {
                count.incrementAndGet();
            }
            return count.get() == 0 ? null : count;
        });
        if (over[0]) {
            total.decrementAndGet();
            return Optional.of(Refusal.MAX_PER_ADDRESS);
        }
        unauthenticated.incrementAndGet();
        return Optional.empty();
    }

    /** Whether a new connection is dropped early, MaxStartups's way. */
    private boolean startupDropped() {
        int waiting = unauthenticated.get();
        if (waiting < startups.start()) {
            return false;
        }
        if (waiting >= startups.full()) {
            return true;
        }
        int span = Math.max(1, startups.full() - startups.start());
        int chance = startups.rate() + (100 - startups.rate()) * (waiting - startups.start()) / span;
        return ThreadLocalRandom.current().nextInt(100) < chance;
    }

    /** Counts a new connection from the address; true if it is one more than the last minute allows. */
    private boolean tooFast(String address) {
        Instant now = clock.instant();
        long last = swept.get();
        if (now.toEpochMilli() - last >= 60_000 && swept.compareAndSet(last, now.toEpochMilli())) {
            sweep(); // at most once a minute, by whoever comes first: no one else has to remember to
        }
        Deque<Instant> times = arrivals.computeIfAbsent(address, a -> new ArrayDeque<>());
        synchronized (times) {
            while (!times.isEmpty() && !times.peekFirst().isAfter(now.minusSeconds(60))) {
                times.removeFirst();
            }
            if (times.size() >= settings.connectionsPerMinute()) {
                return true;
            }
            times.addLast(now);
            return false;
        }
    }

    /** A connection {@link #admit let in} logged in: it no longer counts as waiting to. */
    public void loggedIn() {
        unauthenticated.decrementAndGet();
    }

    /** A connection {@link #admit let in} ended; {@code loggedIn}: whether {@link #loggedIn} was told of it. */
    public void closed(String client, boolean loggedIn) {
        if (!loggedIn) {
            unauthenticated.decrementAndGet();
        }
        total.decrementAndGet();
        open.computeIfPresent(ClientAddresses.group(client), (a, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Connections open now. */
    public int open() {
        return total.get();
    }

    /**
     * Forgets arrivals older than a minute, so the map holds only addresses seen lately. New connections run it at
     * most once a minute themselves; calling it more often costs a pass over the addresses.
     */
    public void sweep() {
        Instant now = clock.instant();
        arrivals.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                Instant last = e.getValue().peekLast();
                return last == null || !last.isAfter(now.minusSeconds(60));
            }
        });
    }
}
