package io.ferry.it;

import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches a cluster from outside, every 200 ms, for the fault tests (issue 22): which nodes act as primary. In
 * active-passive mode only the primary serves partners, so a node whose SFTP port answers with a banner is acting as
 * primary ({@link #of}); in active-active mode every node serves, and each says its role on
 * {@code /actuator/health/cluster} ({@link #byRole}). Counts the polls in which two nodes did, and the longest span in
 * which none did.
 */
final class PrimaryWatch implements AutoCloseable {

    private final List<NodeProcess> nodes;
    private final Predicate<NodeProcess> primary;
    private final Thread thread;
    private final AtomicLong polls = new AtomicLong();
    private final AtomicLong twoPrimaries = new AtomicLong();
    private volatile long longestWithoutNanos;
    /** When the longest span without a primary began. */
    private volatile Instant longestFrom;
    private volatile boolean watching = true;

    private PrimaryWatch(List<NodeProcess> nodes, Predicate<NodeProcess> primary) {
        this.nodes = nodes;
        this.primary = primary;
        this.thread = new Thread(this::watch, "primary-watch");
        thread.setDaemon(true);
    }

    /** Starts watching the active-passive {@code nodes}: the one serving partners is the primary. */
    static PrimaryWatch of(List<NodeProcess> nodes) {
        PrimaryWatch watch = new PrimaryWatch(nodes, NodeProcess::servesSftp);
        watch.thread.start();
        return watch;
    }

    /** Starts watching {@code nodes} by the role each reports (any mode). */
    static PrimaryWatch byRole(List<NodeProcess> nodes, String adminPassword) {
        PrimaryWatch watch = new PrimaryWatch(nodes, node -> node.reportsPrimary(adminPassword));
        watch.thread.start();
        return watch;
    }

    private void watch() {
        long lastWithOne = System.nanoTime();
        Instant lastSeen = Instant.now();
        while (watching) {
            long serving = nodes.stream().filter(primary).count();
            long now = System.nanoTime();
            if (serving > 1) {
                twoPrimaries.incrementAndGet();
            }
            if (serving > 0) {
                lastWithOne = now;
                lastSeen = Instant.now();
            } else if (now - lastWithOne > longestWithoutNanos) {
                longestWithoutNanos = now - lastWithOne;
                longestFrom = lastSeen;
            }
            polls.incrementAndGet();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Polls in which more than one node served partners. */
    long twoPrimaries() {
        return twoPrimaries.get();
    }

    long polls() {
        return polls.get();
    }

    /** The longest span in which no node served partners, in milliseconds (at a poll's resolution). */
    long longestWithoutPrimaryMillis() {
        return longestWithoutNanos / 1_000_000;
    }

    /** The longest span without a primary and when it began, for the test's report. */
    String longestWithoutPrimary() {
        return longestWithoutPrimaryMillis() + " ms" + (longestFrom == null ? "" : " (from " + longestFrom + ")");
    }

    @Override
    public void close() throws InterruptedException {
        watching = false;
        thread.join(5000);
    }
}
