package io.ferry.transfer.sftp;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * How many bans each edge asked this node for in the current hour ({@link EdgeRequests#EDGE_BANS_PER_HOUR} at most):
 * a count per edge that starts again an hour after its first ban, in bounded memory.
 */
final class EdgeBans {

    private final Cache<String, AtomicInteger> counts = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    /** Takes one ban from {@code edge}'s budget; false when it is spent. */
    boolean take(String edge) {
        return counts.get(edge, e -> new AtomicInteger()).incrementAndGet() <= EdgeRequests.EDGE_BANS_PER_HOUR;
    }
}
