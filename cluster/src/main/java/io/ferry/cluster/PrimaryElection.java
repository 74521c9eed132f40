package io.ferry.cluster;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's part in choosing the primary: a standby tries to take the {@link PrimaryLease} every
 * {@code retryInterval} (and at once when told a member left or the role was handed to it); the primary renews it
 * every {@code renewInterval}. The primary stops acting as primary on its own — before anyone else can take the
 * lease — when it has not renewed within {@code ttl - safetyMargin} of the start of its last successful renewal:
 * the database started the lease's new time to live no earlier than that, so its lease is still valid when this
 * node steps down, whatever the database or the network did.
 *
 * <p>Listeners hear {@code promoted(token)} and {@code demoted(reason)} on the election's own threads, in order.
 */
public final class PrimaryElection implements AutoCloseable {

    /** Hears this node's role changes. */
    public interface Listener {
        void promoted(long token);

        void demoted(String reason);
    }

    private static final Logger log = LoggerFactory.getLogger(PrimaryElection.class);
    private static final Duration HANDOFF_WINDOW = Duration.ofSeconds(10);

    private final PrimaryLease lease;
    private final String node;
    private final Duration renewInterval;
    private final Duration retryInterval;
    private final long validityNanos;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Runs the database calls, one at a time. */
    private final ScheduledExecutorService worker;
    /** Steps down when the validity ran out, even while the worker hangs in a database call. */
    private final ScheduledExecutorService watchdog;

    private long token; // 0: not primary; guarded by this
    private long validUntilNanos; // guarded by this
    private LocalDateTime lastExpiry; // database time; guarded by this
    private volatile boolean closed;
    /** A loss not yet written to the role history (the database was unreachable); written at the next tick. */
    private record Loss(long token, LocalDateTime validUntil, String reason) {
    }

    private final java.util.Queue<Loss> unrecordedLosses = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile long maxSkewMillis = Long.MAX_VALUE;
    private volatile long skewMillis;
    private volatile long skewMeasuredNanos;
    /** False while the node drains: it does not take the role. */
    private volatile boolean eligible = true;

    public PrimaryElection(PrimaryLease lease, String node, Duration ttl, Duration renewInterval,
            Duration retryInterval) {
        if (renewInterval.multipliedBy(2).compareTo(ttl) > 0) {
            throw new IllegalArgumentException("the lease time to live (" + ttl + ") must be at least twice the renew "
                    + "interval (" + renewInterval + ")");
        }
        this.lease = lease;
        this.node = node;
        this.renewInterval = renewInterval;
        this.retryInterval = retryInterval;
        // step down a safety margin before the lease could expire: half a renew interval, at least 200 ms
        this.validityNanos = ttl.minus(max(renewInterval.dividedBy(2), Duration.ofMillis(200))).toNanos();
        this.worker = Executors.newSingleThreadScheduledExecutor(daemon("ferry-election"));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(daemon("ferry-election-watchdog"));
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public void start() {
        worker.scheduleWithFixedDelay(this::tick, 0, Math.min(renewInterval.toMillis(), retryInterval.toMillis()),
                TimeUnit.MILLISECONDS);
        watchdog.scheduleWithFixedDelay(this::checkValidity, 50, 50, TimeUnit.MILLISECONDS);
    }

    /** Tries for the role now (a member left, or the role was handed here) instead of at the next retry. */
    public void nudge() {
        if (!closed) {
            if (!isPrimary()) {
                nextAttemptNanos = 0;
            }
            worker.execute(this::tick);
        }
    }

    /** A node whose clock is further than this from the database's does not take the role. */
    public void setMaxClockSkew(Duration maxSkew) {
        this.maxSkewMillis = maxSkew.toMillis();
    }

    /** This node's clock minus the database's, as last measured (every 10 s), in milliseconds. */
    public long clockSkewMillis() {
        return skewMillis;
    }

    /** Whether this node may take the role (false while it drains). */
    public void setEligible(boolean eligible) {
        this.eligible = eligible;
        if (eligible) {
            nudge();
        }
    }

    public synchronized boolean isPrimary() {
        return token != 0;
    }

    /** The fencing token this node holds the role with, or 0. */
    public synchronized long token() {
        return token;
    }

    public String node() {
        return node;
    }

    public PrimaryLease lease() {
        return lease;
    }

    private volatile long nextAttemptNanos;

    private void tick() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        if (now < nextAttemptNanos) {
            return;
        }
        try {
            for (Loss loss = unrecordedLosses.peek(); loss != null; loss = unrecordedLosses.peek()) {
                lease.recordLost(node, loss.token(), loss.validUntil(), loss.reason());
                unrecordedLosses.remove();
            }
            if (skewMeasuredNanos == 0 || now - skewMeasuredNanos > TimeUnit.SECONDS.toNanos(10)) {
                skewMeasuredNanos = now;
                skewMillis = lease.clockSkewMillis();
                if (Math.abs(skewMillis) > 1000) {
                    log.warn("Node {}'s clock is {} ms off the database's: fix its time synchronisation", node,
                            skewMillis);
                }
            }
            long held;
            synchronized (this) {
                held = token;
            }
            if (held != 0) {
                Optional<LocalDateTime> renewed = lease.renew(node, held);
                synchronized (this) {
                    if (token == held && renewed.isPresent()) {
                        validUntilNanos = now + validityNanos;
                        lastExpiry = renewed.get();
                    }
                }
                if (renewed.isEmpty()) {
                    demote(held, "the lease is no longer this node's", false);
                }
                nextAttemptNanos = now + renewInterval.toNanos();
            } else if (eligible && Math.abs(skewMillis) > maxSkewMillis) {
                log.warn("Node {} does not take the primary role: its clock is {} ms off the database's (limit {} ms)",
                        node, skewMillis, maxSkewMillis);
                nextAttemptNanos = now + retryInterval.toNanos() * 10;
            } else if (eligible) {
                OptionalLong acquired = lease.tryAcquire(node, "took the free or expired lease");
                if (acquired.isPresent()) {
                    synchronized (this) {
                        token = acquired.getAsLong();
                        validUntilNanos = now + validityNanos;
                        lastExpiry = null;
                    }
                    log.info("Node {} is primary (token {})", node, acquired.getAsLong());
                    listeners.forEach(l -> l.promoted(acquired.getAsLong()));
                    nextAttemptNanos = now + renewInterval.toNanos();
                } else {
                    nextAttemptNanos = now + retryInterval.toNanos();
                }
            }
        } catch (Exception e) {
            log.warn("Primary election on {}: {}", node, e.toString());
            nextAttemptNanos = now + retryInterval.toNanos();
        }
    }

    private void checkValidity() {
        long held;
        synchronized (this) {
            held = token;
            if (held == 0 || System.nanoTime() < validUntilNanos) {
                return;
            }
        }
        demote(held, "could not renew the lease in time", true);
    }

    /** Stops acting as primary for {@code held}, once; records a loss when the lease was not released. */
    private void demote(long held, String reason, boolean recordLoss) {
        LocalDateTime validUntil;
        synchronized (this) {
            if (token != held || held == 0) {
                return;
            }
            token = 0;
            validUntil = lastExpiry;
        }
        log.warn("Node {} is no longer primary (token {}): {}", node, held, reason);
        listeners.forEach(l -> l.demoted(reason));
        if (recordLoss) {
            // written by the worker as soon as the database answers again
            unrecordedLosses.add(new Loss(held, validUntil, reason));
            nudge();
        }
    }

    /**
     * Hands the role to {@code target}: this node stops acting as primary first, then releases the lease so that only
     * {@code target} may take it for a few seconds.
     *
     * @return whether this node was primary and released the role
     */
    public boolean handOff(String target, String reason) {
        long held;
        synchronized (this) {
            held = token;
            if (held == 0) {
                return false;
            }
            token = 0;
        }
        log.info("Node {} hands the primary role (token {}) to {}: {}", node, held, target, reason);
        listeners.forEach(l -> l.demoted(reason));
        try {
            lease.release(node, held, target, HANDOFF_WINDOW, reason);
        } catch (Exception e) {
            // the lease expires by itself; until then nobody is primary
            log.warn("Could not release token {}: {}", held, e.toString());
        }
        nextAttemptNanos = System.nanoTime() + HANDOFF_WINDOW.toNanos(); // do not take it straight back
        return true;
    }

    /** Releases the role (if held) and stops. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        long held;
        synchronized (this) {
            held = token;
            token = 0;
        }
        closed = true;
        watchdog.shutdownNow();
        worker.shutdown();
        try {
            worker.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (held != 0) {
            listeners.forEach(l -> l.demoted("node stopping"));
            try {
                lease.release(node, held, null, Duration.ZERO, "node stopping");
                log.info("Node {} released the primary role (token {})", node, held);
            } catch (Exception e) {
                log.warn("Could not release token {} on the way down: {}", held, e.toString());
            }
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
