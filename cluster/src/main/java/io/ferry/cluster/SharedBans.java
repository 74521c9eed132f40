package io.ferry.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.map.IMap;

/**
 * The cluster-wide failure counts and bans the defender keeps, on Hazelcast maps with a backup (a node that dies
 * takes none with it): failures counted per key with compare-and-set (no lost increments), each count and each ban
 * expiring by itself. Every value is sealed with the cluster secret ({@link ClusterSeal}) and carries its own end,
 * so a member of the cluster network without the secret can neither ban an address nor raise a count: what does not
 * open, or has ended, counts as nothing. Only the mechanism; what counts and when to ban is the defender's.
 */
public final class SharedBans {

    /** How long a connection waits for the cluster to say whether its address is banned. */
    static final Duration READ_WAIT = Duration.ofMillis(500);
    /** How long lookups are skipped after one the cluster did not answer. */
    static final Duration SKIP_AFTER_MISS = Duration.ofSeconds(5);
    private static final Duration WARNING_GAP = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(SharedBans.class);

    private final AtomicLong unanswered = new AtomicLong();
    /** When the last lookup was missed (System.nanoTime); far in the past until then. */
    private volatile long skipFrom = System.nanoTime() - SKIP_AFTER_MISS.toNanos() - 1;
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARNING_GAP.toNanos() - 1);
    private final IMap<String, Object> failures;
    private final IMap<String, Object> bans;
    private final ClusterSeal seal;
    private final String failuresName;
    private final String bansName;

    SharedBans(IMap<String, Object> failures, IMap<String, Object> bans, ClusterSeal seal, String failuresName,
            String bansName) {
        this.failures = failures;
        this.bans = bans;
        this.seal = seal;
        this.failuresName = failuresName;
        this.bansName = bansName;
    }

    /**
     * Adds one to the count under {@code key}, kept for {@code ttl}; the new count. A compare-and-set on the map's
     * sealed text, so no class of Ferry's travels between members.
     */
    public long countFailure(String key, Duration ttl) {
        for (int attempt = 0; attempt < 100; attempt++) {
            long now = System.currentTimeMillis();
            Object current = failures.get(key);
            long count = current == null ? 0 : count(key, current, now);
            String next = seal.seal(failuresName, key, (count + 1) + " " + (now + ttl.toMillis()));
            if (current == null) {
                if (failures.putIfAbsent(key, next, ttl.toMillis(), TimeUnit.MILLISECONDS) == null) {
                    return 1;
                }
            } else if (failures.replace(key, current, next)) {
                failures.setTtl(key, ttl.toMillis(), TimeUnit.MILLISECONDS);
                return count + 1;
            }
        }
        Object last = failures.get(key);
        return last == null ? 0 : count(key, last, System.currentTimeMillis()); // contended for long
    }

    /** The count under {@code key} while it has not ended (0 when there is none, or it does not open). */
    public long failures(String key) {
        Object sealed = failures.get(key);
        return sealed == null ? 0 : count(key, sealed, System.currentTimeMillis());
    }

    /**
     * Bans {@code address} until {@code untilMillis} (epoch); the entry goes by itself then. A ban already in force
     * that ends later is kept: a ban is never shortened this way (lifting one is {@link #unban}).
     */
    public void ban(String address, long untilMillis) {
        for (int attempt = 0; attempt < 100; attempt++) {
            long now = System.currentTimeMillis();
            Object current = bans.get(address);
            Optional<Long> end = current == null ? Optional.empty() : until(address, current, now);
            if (end.isPresent() && end.get() >= untilMillis) {
                return;
            }
            String next = seal.seal(bansName, address, Long.toString(untilMillis));
            long ttl = Math.max(1, untilMillis - now);
            if (current == null ? bans.putIfAbsent(address, next, ttl, TimeUnit.MILLISECONDS) == null
                    : bans.replace(address, current, next)) {
                bans.setTtl(address, ttl, TimeUnit.MILLISECONDS);
                return;
            }
        }
    }

    /**
     * When the ban in force on {@code address} ends (epoch millis), or null (none, or it has ended). Asked for every
     * new connection, on the thread that accepts it: when the member holding the entry does not answer within
     * {@link #READ_WAIT} (a member cut off and not yet declared gone, which takes up to the heartbeat timeout), the
     * connection is not held: no ban is known, and the per-address limits and the login's own checks still apply.
     * After such a miss the lookups are skipped for {@link #SKIP_AFTER_MISS}, so that the listener, which accepts the
     * next connection only once this one is admitted, does not wait on every one.
     */
    public Long bannedUntil(String address) {
        if (System.nanoTime() - skipFrom < SKIP_AFTER_MISS.toNanos()) {
            unanswered.incrementAndGet();
            return null;
        }
        Object sealed;
        try {
            sealed = bans.getAsync(address).toCompletableFuture().get(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            missed(e instanceof ExecutionException ? e.getCause() : e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            missed(e);
            return null;
        }
        return sealed == null ? null : until(address, sealed, System.currentTimeMillis()).orElse(null);
    }

    /** A lookup the cluster did not answer: counted, the next ones skipped for a while, logged now and then. */
    private void missed(Throwable why) {
        unanswered.incrementAndGet();
        long now = System.nanoTime();
        skipFrom = now;
        long last = lastWarning.get();
        if (now - last > WARNING_GAP.toNanos() && lastWarning.compareAndSet(last, now)) {
            log.warn("The cluster did not say within {} ms whether an address is banned ({}): connections are let in"
                    + " without the shared bans for the next {} s ({} so far)", READ_WAIT.toMillis(),
                    why.getClass().getSimpleName(), SKIP_AFTER_MISS.toSeconds(), unanswered.get());
        }
    }

    /** How many ban lookups the cluster did not answer in time (let in without the shared bans). */
    public long unanswered() {
        return unanswered.get();
    }

    public boolean isBanned(String address) {
        return bannedUntil(address) != null;
    }

    /** Lifts the ban; whether there was one. */
    public boolean unban(String address) {
        Object removed = bans.remove(address);
        return removed != null && until(address, removed, System.currentTimeMillis()).isPresent();
    }

    /** Every ban in force, as address to end (epoch millis). */
    public Map<String, Long> all() {
        long now = System.currentTimeMillis();
        Map<String, Long> copy = new HashMap<>();
        bans.forEach((address, sealed) -> until(address, sealed, now).ifPresent(until -> copy.put(address, until)));
        return copy;
    }

    /** How many addresses are banned (for the gauge). */
    public int size() {
        return all().size();
    }

    /** The count a sealed value holds while it has not ended; 0 for anything else. */
    private long count(String key, Object sealed, long now) {
        return seal.open(failuresName, key, sealed).map(text -> {
            String[] parts = text.split(" ");
            try {
                return parts.length == 2 && Long.parseLong(parts[1]) > now ? Long.parseLong(parts[0]) : 0L;
            } catch (NumberFormatException e) {
                return 0L;
            }
        }).orElse(0L);
    }

    private Optional<Long> until(String address, Object sealed, long now) {
        return seal.open(bansName, address, sealed).flatMap(text -> {
            try {
                long until = Long.parseLong(text);
                return until > now ? Optional.of(until) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }
}
