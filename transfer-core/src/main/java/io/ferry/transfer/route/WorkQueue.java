package io.ferry.transfer.route;

import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Service;

import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.node.AfterCommit;

/**
 * The durable work queue, in the database. An item is {@code queued} until a node claims it: the claim is one
 * conditional UPDATE (so one node wins) that sets a lease in database time ({@code ferry.work.lease}, renewed while
 * the item runs). A node that dies loses its lease and
 * the item is claimed again elsewhere once it ran out. A failed attempt is retried with exponential backoff and
 * jitter; after {@code maxAttempts} the item stays {@code failed} until an administrator resubmits it.
 */
@Service
public class WorkQueue {

    /** A work item as the API shows it. */
    public record Item(long id, String kind, String route, String group, long uploadId, String postAction,
            String account,
            String path, String partner,
            String remoteName, String sha256, String state, int attempts, int maxAttempts, LocalDateTime nextAttemptAt,
            String claimedBy, LocalDateTime leaseUntil, String lastError, LocalDateTime createdAt,
            LocalDateTime updatedAt, String step) {
    }

    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);
    private static final Duration LONGEST_RETRY = Duration.ofMinutes(10);
    private static final String COLUMNS = "id, kind, route, group_key, upload_id, post_action, account, path, partner, "
            + "remote_name, sha256, state, "
            + "attempts, max_attempts, next_attempt_at, claimed_by, lease_until, last_error, created_at, updated_at, "
            + "step";
    private static final RowMapper<Item> ROW = (rs, i) -> new Item(rs.getLong(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getLong(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
            rs.getString(10), rs.getString(11), rs.getString(12), rs.getInt(13), rs.getInt(14),
            rs.getObject(15, LocalDateTime.class), rs.getString(16), rs.getObject(17, LocalDateTime.class),
            rs.getString(18), rs.getObject(19, LocalDateTime.class), rs.getObject(20, LocalDateTime.class),
            rs.getString(21));

    /** Told about items that change state; each method does nothing unless overridden. */
    public interface Listener {

        /**
         * {@code item} failed its last attempt with {@code error} and waits for a resubmit. Called once per failure,
         * on the node that ran the attempt, after the item was marked failed; it must not block.
         */
        default void exhausted(Item item, String error) {
        }
    }

    private final JdbcTemplate jdbc;
    private final Supplier<Stream<Listener>> listeners;
    private final int maxAttempts;
    private final Duration firstRetry;
    private final Duration lease;
    private final java.util.List<Runnable> added = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong retries = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong exhausted = new java.util.concurrent.atomic.AtomicLong();

    /** A queue nobody listens to (tests). */
    WorkQueue(JdbcTemplate jdbc, int maxAttempts, Duration firstRetry, Duration lease) {
        this(jdbc, maxAttempts, firstRetry, lease, Stream::empty);
    }

    @Autowired
    WorkQueue(JdbcTemplate jdbc, @Value("${ferry.work.max-attempts:5}") int maxAttempts,
            @Value("${ferry.work.first-retry:2s}") Duration firstRetry, @Value("${ferry.work.lease:30s}")
            Duration lease, ObjectProvider<Listener> listeners) {
        this(jdbc, maxAttempts, firstRetry, lease, listeners::orderedStream);
    }

    private WorkQueue(JdbcTemplate jdbc, int maxAttempts, Duration firstRetry, Duration lease,
            Supplier<Stream<Listener>> listeners) {
        // looked up when told, not when built: a listener may itself need beans that need this queue
        this.listeners = listeners;
        if (lease.compareTo(Duration.ofSeconds(3)) < 0) {
            throw new IllegalArgumentException("ferry.work.lease must be at least 3s");
        }
        this.lease = lease;
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("ferry.work.max-attempts must be at least 1");
        }
        this.jdbc = jdbc;
        this.maxAttempts = maxAttempts;
        this.firstRetry = firstRetry;
    }

    /** How long a claim holds without renewal; running items are renewed at a third of it. */
    public Duration lease() {
        return lease;
    }

    /** Told when an item was added, once it is committed (the cluster wakes its dispatchers). */
    public void onAdded(Runnable listener) {
        added.add(listener);
    }

    private void tellAdded() {
        AfterCommit.run(() -> added.forEach(Runnable::run));
    }

    /** Queues a delivery of one upload (the transfer-log row's id), due now. */
    public void add(long uploadId, String route, String account, String path, String partner, String remoteName,
            String sha256, String postAction) {
        enqueue("deliver", route, "upload-" + uploadId, uploadId, account, path, partner, remoteName, sha256,
                postAction);
    }

    /**
     * Queues an item, due now, in the caller's transaction if there is one.
     *
     * @param kind       {@code deliver} (send {@code path} to {@code partner} as {@code remoteName}) or {@code pull}
     *                   (fetch the partner's files matching {@code remoteName} into the folder {@code path})
     * @param group      the items whose source file shares one post-action (every delivery of one upload)
     * @param postAction {@code keep}, {@code delete} or {@code archive} for deliveries; {@code keep} or
     *                   {@code delete-remote} for pulls
     */
    public void enqueue(String kind, String route, String group, long uploadId, String account, String path,
            String partner, String remoteName, String sha256, String postAction) {
        enqueue(kind, route, group, uploadId, account, path, partner, remoteName, sha256, postAction, null);
    }

    /** {@link #enqueue} of an item that transforms its file on the way ({@code step}: a route's OpenPGP step). */
    public void enqueue(String kind, String route, String group, long uploadId, String account, String path,
            String partner, String remoteName, String sha256, String postAction, String step) {
        jdbc.update("INSERT INTO work_items (kind, route, group_key, upload_id, post_action, post_done, account, path, "
                + "partner, remote_name, sha256, state, attempts, max_attempts, next_attempt_at, created_at, "
                + "updated_at, step) VALUES (?, ?, ?, ?, ?, FALSE, ?, ?, ?, ?, ?, 'queued', 0, ?, "
                + "CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3), CURRENT_TIMESTAMP(3), ?)", kind, route, group, uploadId, postAction, account,
                path, partner, remoteName, sha256, maxAttempts, step);
        tellAdded(); // after the commit: a dispatcher woken before it would find nothing to claim
    }

    /**
     * What to do with a delivered source file now that this item is done: {@code archive} or {@code delete} (the
     * strongest any item of its group asked for) once every delivery of the group is done and nobody did it yet;
     * otherwise empty. The action must tolerate being done twice (two nodes finishing the last two deliveries at
     * once); {@link #postActionDone} records it.
     */
    public Optional<String> pendingPostAction(Item item) {
        String group = item.group();
        Integer open = jdbc.queryForObject("SELECT COUNT(*) FROM work_items WHERE group_key = ? AND (state <> 'done' "
                + "OR post_done = TRUE)", Integer.class, group);
        if (open == null || open > 0) {
            return Optional.empty();
        }
        List<String> actions = jdbc.queryForList("SELECT DISTINCT post_action FROM work_items WHERE group_key = ?",
                String.class, group);
        return actions.contains("archive") ? Optional.of("archive")
                : actions.contains("delete") ? Optional.of("delete") : Optional.empty();
    }

    /** The upload's post-action was carried out. */
    public void postActionDone(Item item) {
        jdbc.update("UPDATE work_items SET post_done = TRUE WHERE group_key = ?", item.group());
    }

    /**
     * Up to {@code limit} ids that are due: running with a lease that ran out, and queued and due (longest due
     * first).
     */
    public List<Long> due(int limit) {
        // two queries, each reading the (state, next_attempt_at) index in its order and stopping at the limit: an OR
        // across the states, or ORDER BY id, makes the database walk the primary key through every done item first
        List<Long> due = new java.util.ArrayList<>(jdbc.queryForList("SELECT id FROM work_items WHERE state = "
                + "'running' AND lease_until < CURRENT_TIMESTAMP(3) LIMIT ?", Long.class, limit));
        due.addAll(jdbc.queryForList("SELECT id FROM work_items WHERE state = 'queued' AND next_attempt_at <= "
                + "CURRENT_TIMESTAMP(3) ORDER BY state, next_attempt_at LIMIT ?", Long.class, limit));
        due.sort(null);
        return due.size() > limit ? due.subList(0, limit) : due;
    }

    /**
     * Claims up to {@code limit} due items for {@code node} with one conditional UPDATE (oldest first), so each item
     * goes to one node only, and returns them. The candidates are read first without locks and the UPDATE names them
     * by id: it locks only those rows, never a range another node's transactions hold (a range scan under InnoDB's
     * repeatable read would, and deadlock with the finishing of running items).
     */
    public List<Item> claimDue(String node, int limit) {
        if (limit < 1) {
            return List.of();
        }
        List<Long> candidates = due(limit * 2);
        if (candidates.isEmpty()) {
            return List.of();
        }
        String token = java.util.UUID.randomUUID().toString(); // claimed_by names the node
        List<Object> args = new java.util.ArrayList<>(List.of(node, token, lease.toNanos() / 1000));
        args.addAll(candidates);
        args.add(limit);
        int claimed = jdbc.update("UPDATE work_items SET state = 'running', claimed_by = ?, claim_token = ?, attempts = "
                + "attempts + 1, lease_until = TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)), updated_at = "
                + "CURRENT_TIMESTAMP(3) WHERE id IN (" + String.join(", ", java.util.Collections.nCopies(
                        candidates.size(), "?")) + ") AND ((state = 'queued' AND next_attempt_at <= CURRENT_TIMESTAMP(3)) "
                + "OR (state = 'running' AND lease_until < CURRENT_TIMESTAMP(3))) ORDER BY id LIMIT ?", args.toArray());
        return claimed == 0 ? List.of()
                : jdbc.query("SELECT " + COLUMNS + " FROM work_items WHERE claim_token = ? ORDER BY id", ROW, token);
    }

    /**
     * Extends the leases of the items this node is running (called well within the lease), so that a long delivery
     * is not claimed again by another node while it runs. Items another node took over are left alone.
     *
     * @return how many leases were extended
     */
    public int renewLeases(String node) {
        return jdbc.update("UPDATE work_items SET lease_until = TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)) "
                + "WHERE claimed_by = ? AND state = 'running' AND lease_until >= CURRENT_TIMESTAMP(3)",
                lease.toNanos() / 1000, node);
    }

    /** The attempt succeeded: done, if this node still holds the item. */
    public void done(Item item, String node) {
        jdbc.update("UPDATE work_items SET state = 'done', lease_until = NULL, last_error = NULL, updated_at = "
                + "CURRENT_TIMESTAMP(3) WHERE id = ? AND claimed_by = ? AND state = 'running'", item.id(), node);
    }

    /** The attempt failed: retried after a backoff, or {@code failed} after the last attempt. */
    public void failed(Item item, String node, String error) {
        String message = error == null ? "failed" : error.length() > 1000 ? error.substring(0, 1000) : error;
        if (item.attempts() >= item.maxAttempts()) {
            if (jdbc.update("UPDATE work_items SET state = 'failed', lease_until = NULL, last_error = ?, updated_at = "
                    + "CURRENT_TIMESTAMP(3) WHERE id = ? AND claimed_by = ? AND state = 'running'", message, item.id(),
                    node) > 0) {
                exhausted.incrementAndGet();
                listeners.get().forEach(listener -> tellExhausted(listener, item, message));
            }
            return;
        }
        retries.incrementAndGet();
        jdbc.update("UPDATE work_items SET state = 'queued', lease_until = NULL, last_error = ?, next_attempt_at = "
                + "TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)), updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? "
                + "AND claimed_by = ? AND state = 'running'", message, backoff(firstRetry, item.attempts()).toNanos() / 1000,
                item.id(), node);
    }

    private static void tellExhausted(Listener listener, Item item, String error) {
        try {
            listener.exhausted(item, error);
        } catch (RuntimeException e) {
            // a listener's failure must not undo or repeat the failing of the item
            log.warn("A work queue listener failed on item {}: {}", item.id(), e.toString());
        }
    }

    /**
     * The item cannot succeed however often it runs (its file was refused: quarantined): failed now, whatever attempts
     * it has left, with {@code error} as the reason.
     */
    public void rejected(Item item, String node, String error) {
        failed(new Item(item.id(), item.kind(), item.route(), item.group(), item.uploadId(), item.postAction(),
                item.account(), item.path(), item.partner(), item.remoteName(), item.sha256(), item.state(),
                Math.max(item.attempts(), item.maxAttempts()), item.maxAttempts(), item.nextAttemptAt(),
                item.claimedBy(), item.leaseUntil(), item.lastError(), item.createdAt(), item.updatedAt(), item.step()),
                node, error);
    }

    /** {@code first}, twice that, four times... up to 10 minutes, each with up to 50% of random jitter added. */
    static Duration backoff(Duration first, int attempts) {
        long base = first.toMillis() << Math.min(20, Math.max(0, attempts - 1));
        long capped = Math.min(base, LONGEST_RETRY.toMillis());
        return Duration.ofMillis(capped + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
    }

    /** A failed item goes back to the queue with fresh attempts; 409 (IllegalState) unless it failed. */
    public Item resubmit(long id) {
        get(id);
        int updated = jdbc.update("UPDATE work_items SET state = 'queued', attempts = 0, next_attempt_at = "
                + "CURRENT_TIMESTAMP(3), claimed_by = NULL, updated_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND state = "
                + "'failed'", id);
        if (updated == 0) {
            throw new IllegalStateException("work item " + id + " is not failed: only failed items are resubmitted");
        }
        tellAdded();
        return get(id);
    }

    public Item get(long id) {
        List<Item> found = jdbc.query("SELECT " + COLUMNS + " FROM work_items WHERE id = ?", ROW, id);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("work item " + id + " not found");
        }
        return found.get(0);
    }

    /** The latest items, newest first; only those in {@code state} when it is given. */
    public List<Item> list(String state, int limit) {
        return state == null
                ? jdbc.query("SELECT " + COLUMNS + " FROM work_items ORDER BY id DESC LIMIT ?", ROW, limit)
                : jdbc.query("SELECT " + COLUMNS + " FROM work_items WHERE state = ? ORDER BY id DESC LIMIT ?", ROW,
                        state, limit);
    }

    /**
     * Deletes up to {@code limit} items that are {@code done} and were last changed more than {@code age} ago (their
     * transfer-log rows stay); failed items stay until resubmitted or deleted.
     *
     * @return how many were deleted
     */
    public int purgeDone(Duration age, int limit) {
        return jdbc.update("DELETE FROM work_items WHERE state = 'done' AND updated_at < TIMESTAMPADD(MICROSECOND, ?, "
                + "CURRENT_TIMESTAMP(3)) LIMIT ?", -age.toNanos() / 1000, limit);
    }

    /** Failed attempts this node put back in the queue for another try (since it started). */
    public long retries() {
        return retries.get();
    }

    /** Items that failed their last attempt on this node (since it started), waiting for a resubmit. */
    public long exhausted() {
        return exhausted.get();
    }

    /**
     * How many items are queued, running and failed now. Done items are left out: they are kept for
     * {@code ferry.work.retention} and may be millions, and counting them on every scrape would read them all; the
     * (state, next attempt) index makes the other three a short range each.
     */
    public java.util.Map<String, Long> countsByState() {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        for (String state : List.of("queued", "running", "failed")) {
            counts.put(state, 0L);
        }
        jdbc.query("SELECT state, COUNT(*) FROM work_items WHERE state IN ('queued', 'running', 'failed') "
                + "GROUP BY state", rs -> {
            counts.put(rs.getString(1), rs.getLong(2));
        });
        return counts;
    }

    /** How many items wait (queued or running). */
    public long depth() {
        Long depth = jdbc.queryForObject("SELECT COUNT(*) FROM work_items WHERE state IN ('queued', 'running')",
                Long.class);
        return depth == null ? 0 : depth;
    }

    /** How old the oldest waiting item is, in seconds of database time; 0 when none waits. */
    public long oldestAgeSeconds() {
        Long age = jdbc.queryForObject("SELECT TIMESTAMPDIFF(SECOND, MIN(created_at), CURRENT_TIMESTAMP(3)) FROM "
                + "work_items WHERE state IN ('queued', 'running')", Long.class);
        return age == null ? 0 : Math.max(0, age);
    }
}
