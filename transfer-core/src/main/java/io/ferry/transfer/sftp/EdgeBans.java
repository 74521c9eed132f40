package io.ferry.transfer.sftp;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * What one edge may cost a node, in bounded memory: the bans it asked for in the current hour
 * ({@link EdgeRequests#EDGE_BANS_PER_HOUR} at most), and the failed logins it brought in the current minute
 * ({@link #FAILURES_PER_MINUTE} at most; past that its logins are refused until the minute is over). Each count
 * starts again a period after its first entry.
 */
final class EdgeBans {

    /** Failed logins one edge may bring a node in a minute: a busy edge's partners, not a guessing campaign's. */
    static final int FAILURES_PER_MINUTE = 600;

    private final Cache<String, AtomicInteger> counts = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofHours(1)).build();
    private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    /** Counts a login through {@code edge} that failed. */
    void failed(String edge) {
        failures.get(edge, e -> new AtomicInteger()).incrementAndGet();
    }

    /** Whether {@code edge} brought too many failed logins this minute. */
    boolean failuresSpent(String edge) {
        AtomicInteger count = failures.getIfPresent(edge);
        return count != null && count.get() >= FAILURES_PER_MINUTE;
    }

    /** Takes one ban from {@code edge}'s budget; false when it is spent. */
    boolean take(String edge) {
        return counts.get(edge, e -> new AtomicInteger()).incrementAndGet() <= EdgeRequests.EDGE_BANS_PER_HOUR;
    }
}
