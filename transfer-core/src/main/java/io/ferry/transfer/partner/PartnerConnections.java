package io.ferry.transfer.partner;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This node's connections to partners: at most {@code maxParallel} transfers with a partner at once, and the
 * connections a transfer finished with, kept for the next one (at most {@code maxParallel} per partner, 60 s idle).
 * Both are keyed by the partner as it is now, so a changed partner (new host, key or secret) never reuses an old
 * connection, and its new limit applies at once.
 */
final class PartnerConnections {

    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long EVICT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** A connection kept for the next transfer, and since when. */
    private record Idle(RemoteFolder connection, long since) {
    }

    private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();
    private final Map<String, Deque<Idle>> idle = new ConcurrentHashMap<>();
    private volatile long lastEviction;

    /** The partner's transfer permits ({@code maxParallel}, fair). */
    Semaphore permits(Partner partner) {
        return permits.computeIfAbsent(key(partner), key -> new Semaphore(partner.maxParallel(), true));
    }

    /** A kept connection that is still open, or null. */
    RemoteFolder borrow(Partner partner) {
        Deque<Idle> pool = idle.get(key(partner));
        if (pool == null) {
            return null;
        }
        synchronized (pool) {
            for (Idle entry = pool.pollFirst(); entry != null; entry = pool.pollFirst()) {
                if (entry.connection().isOpen()) {
                    return entry.connection();
                }
                closeQuietly(entry.connection());
            }
        }
        return null;
    }

    /** Keeps a connection a transfer succeeded on, unless the partner's pool is full. */
    void giveBack(Partner partner, RemoteFolder connection) {
        Deque<Idle> pool = idle.computeIfAbsent(key(partner), k -> new ArrayDeque<>());
        synchronized (pool) {
            if (pool.size() < partner.maxParallel()) {
                pool.addFirst(new Idle(connection, System.nanoTime()));
                return;
            }
        }
        closeQuietly(connection);
    }

    /**
     * At most every few seconds: closes connections idle too long, and drops the permits and connections of every
     * partner that changed or went away ({@code current} lists the partners as they are).
     */
    void evict(Supplier<List<Partner>> current) {
        long now = System.nanoTime();
        if (now - lastEviction < EVICT_EVERY_NANOS) {
            return;
        }
        lastEviction = now;
        Set<String> keys = new HashSet<>();
        for (Partner partner : current.get()) {
            keys.add(key(partner));
        }
        permits.keySet().retainAll(keys);
        idle.forEach((key, pool) -> {
            synchronized (pool) {
                pool.removeIf(entry -> {
                    boolean stale = !keys.contains(key) || now - entry.since() > IDLE_NANOS;
                    if (stale) {
                        closeQuietly(entry.connection());
                    }
                    return stale;
                });
            }
        });
    }

    static void closeQuietly(RemoteFolder connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (IOException | RuntimeException e) {
                // already broken
            }
        }
    }

    /** The partner as it is now. */
    private static String key(Partner partner) {
        return partner.name() + "@" + partner.updatedAt();
    }
}
