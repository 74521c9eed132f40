package io.ferry.cluster;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;

/**
 * The cluster-wide failure counts and bans the defender keeps, on Hazelcast maps with a backup (a node that dies
 * takes none with it): failures counted per key in the owning member (no lost increments), each count and each ban
 * expiring by itself. Only the mechanism; what counts and when to ban is the defender's.
 */
public final class SharedBans {

    private final IMap<String, Long> failures;
    private final IMap<String, Long> bans;

    SharedBans(IMap<String, Long> failures, IMap<String, Long> bans) {
        this.failures = failures;
        this.bans = bans;
    }

    /** Adds one to the count under {@code key}, which expires {@code ttl} after its first failure; the new count. */
    public long countFailure(String key, Duration ttl) {
        Long count = failures.executeOnKey(key, new Increment());
        if (count != null && count == 1) {
            failures.setTtl(key, ttl.toMillis(), TimeUnit.MILLISECONDS);
        }
        return count == null ? 0 : count;
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
