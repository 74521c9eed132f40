package io.ferry.transfer.notify;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The same key passes once per interval (on this node); the keys kept are bounded. */
final class RateLimit {

    private static final int MAX_KEYS = 10_000;

    /** Key to the nanoTime before which it is held back. */
    private final Map<String, Long> heldUntil = new ConcurrentHashMap<>();

    /** Whether {@code key} passes now; if it does, it is held back for {@code interval} from now on. */
    boolean first(String key, Duration interval) {
        if (interval.isZero() || interval.isNegative()) {
            return true;
        }
        long now = System.nanoTime();
        boolean[] passed = {false};
        heldUntil.compute(key, (k, until) -> {
            if (until == null || now - until >= 0) {
                passed[0] = true;
                return now + interval.toNanos();
            }
            return until;
        });
        if (heldUntil.size() > MAX_KEYS) {
            heldUntil.values().removeIf(until -> now - until >= 0);
            if (heldUntil.size() > MAX_KEYS) {
                // a flood of distinct subjects: forgetting them all lets some repeat early, never grows the heap
                heldUntil.clear();
            }
        }
        return passed[0];
    }

    /** {@code key} passes again at once (what let it pass could not be sent after all). */
    void forget(String key) {
        heldUntil.remove(key);
    }
}
