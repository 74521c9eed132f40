package io.ferry.cluster;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.hazelcast.map.IMap;

/**
 * The cluster-wide failure counts and bans the defender keeps, on Hazelcast maps with a backup (a node that dies
 * takes none with it): failures counted per key with compare-and-set (no lost increments), each count and each ban
 * expiring by itself. Only the mechanism; what counts and when to ban is the defender's.
 */
public final class SharedBans {

    private final IMap<String, Long> failures;
    private final IMap<String, Long> bans;

    SharedBans(IMap<String, Long> failures, IMap<String, Long> bans) {
        this.failures = failures;
        this.bans = bans;
    }

    /**
     * Adds one to the count under {@code key}, kept for {@code ttl}; the new count. A compare-and-set on the map,
     * so no class of Ferry's travels between members (nodes of two versions count together in a rolling upgrade).
     */
    public long countFailure(String key, Duration ttl) {
        for (int attempt = 0; attempt < 100; attempt++) {
            Long current = failures.get(key);
            if (current == null) {
                if (failures.putIfAbsent(key, 1L, ttl.toMillis(), TimeUnit.MILLISECONDS) == null) {
                    return 1;
                }
            } else if (failures.replace(key, current, current + 1)) {
                failures.setTtl(key, ttl.toMillis(), TimeUnit.MILLISECONDS);
                return current + 1;
            }
        }
        return failures.getOrDefault(key, 0L); // contended for long: counted by the others
    }

    /** Bans {@code address} until {@code untilMillis} (epoch); the entry goes by itself then. */
    public void ban(String address, long untilMillis) {
        long ttl = Math.max(1, untilMillis - System.currentTimeMillis());
        bans.put(address, untilMillis, ttl, TimeUnit.MILLISECONDS);
    }

    /** When the ban on {@code address} ends (epoch millis), or null. */
    public Long bannedUntil(String address) {
        return bans.get(address);
    }

    public boolean isBanned(String address) {
        return bans.containsKey(address);
    }

    /** Lifts the ban; whether there was one. */
    public boolean unban(String address) {
        return bans.remove(address) != null;
    }

    /** Every ban, as address to end (epoch millis). */
    public Map<String, Long> all() {
        Map<String, Long> copy = new HashMap<>();
        bans.forEach(copy::put);
        return copy;
    }

    /** How many addresses are banned (for the gauge). */
    public int size() {
        return bans.size();
    }
}
