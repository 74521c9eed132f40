package io.ferry.transfer.work;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.cluster.ClusterMessage;
import io.ferry.cluster.ClusterNode;
import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.storage.StoredContent;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.route.WorkQueue;
import io.ferry.transfer.session.Transfer;
import io.ferry.transfer.session.TransferOrigin;
import io.ferry.transfer.session.Transfers;

/**
 * Runs the work queue on this node while it serves (every node in active-active mode, the primary in active-passive):
 * looks for due items every half second, at once when any node queued one and whenever a worker is free, claims as
 * many as it has free workers with one UPDATE (each item goes to one node) and delivers them, a few at a time.
 * Every attempt is a transfer-log row (direction {@code outbound}).
 */
public final class WorkDispatcher implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WorkDispatcher.class);
    private static final int PARALLEL = 4;

    private final WorkQueue queue;
    private final PartnerService partners;
    private final AccountService accounts;
    private final StorageRoot storage;
    private final Transfers transfers;
    private final ServingState serving;
    private final ClusterNode node;
    private final Intake intake;
    private final io.ferry.transfer.route.TakenFiles taken;
    private final Semaphore slots = new Semaphore(PARALLEL);
    private final com.github.benmanes.caffeine.cache.Cache<String, String> homes = com.github.benmanes.caffeine.cache
            .Caffeine.newBuilder().expireAfterWrite(java.time.Duration.ofSeconds(5)).maximumSize(10_000).build();
    private ScheduledExecutorService poller;
    private ExecutorService workers;
    private volatile boolean running;

    public WorkDispatcher(WorkQueue queue, PartnerService partners, AccountService accounts, StorageRoot storage,
            Transfers transfers, ServingState serving, ClusterNode node, Intake intake,
            io.ferry.transfer.route.TakenFiles taken) {
        this.queue = queue;
        this.partners = partners;
        this.accounts = accounts;
        this.storage = storage;
        this.transfers = transfers;
        this.serving = serving;
        this.node = node;
        this.intake = intake;
        this.taken = taken;
        // once, here: a restart of the lifecycle must not add a second listener
        queue.onAdded(() -> node.broadcast(new ClusterMessage.WorkQueued()));
        node.onMessage(ClusterMessage.WorkQueued.class, m -> wake());
    }

    @Override
    public void start() {
        poller = Executors.newSingleThreadScheduledExecutor(daemon("ferry-work-poller"));
        workers = Executors.newFixedThreadPool(PARALLEL, daemon("ferry-work"));
        poller.scheduleWithFixedDelay(this::poll, 1, 500, TimeUnit.MILLISECONDS);
        // a long delivery keeps its claim: its lease is renewed at a third of its length while it runs
        long renewEvery = Math.max(1, queue.lease().toMillis() / 3);
        poller.scheduleWithFixedDelay(() -> {
            try {
                if (slots.availablePermits() < PARALLEL) {
                    queue.renewLeases(node.nodeId());
                }
            } catch (RuntimeException e) {
                log.warn("Could not renew the work leases of {}: {}", node.nodeId(), e.toString());
            }
        }, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
        running = true;
    }

    /**
     * The account's home, remembered for a few seconds: a busy queue delivers many files of one account, and a home
     * does not move (an account deleted meanwhile fails its items once its home is gone).
     */
    private String home(String account) {
        return homes.get(account, name -> accounts.get(name).getHome());
    }

    /** Whether the failure was a file's intake, which wrote its own failed transfer-log row. */
    private static boolean loggedByIntake(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof Intake.IntakeFailure) {
                return true;
            }
        }
        return false;
    }

    /** The partner's protocol for the transfer log ({@code sftp} when the partner is gone). */
    private String protocolOf(String partner) {
        try {
            return partners.protocol(partner);
        } catch (RuntimeException gone) {
            return "sftp";
        }
    }

    private void wake() {
        if (running) {
            try {
                poller.execute(this::poll);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // stopping
            }
        }
    }

    private void poll() {
        if (!running || !serving.serving()) {
            return;
        }
        int free = 0;
        while (slots.tryAcquire()) {
            free++;
        }
        if (free == 0) {
            return;
        }
        try {
            for (WorkQueue.Item item : queue.claimDue(node.nodeId(), free)) {
                workers.execute(() -> {
                    try {
                        run(item);
                    } finally {
                        slots.release();
                        wake(); // a free slot takes the next due item at once, not at the next tick
                    }
                });
                free--; // the worker releases its permit
            }
        } catch (RuntimeException e) {
            // a claimed item not started (the node stops) runs again once its lease runs out
            log.warn("Work queue on {}: {}", node.nodeId(), e.toString());
        } catch (Error e) {
            log.error("Work queue on {}: {}", node.nodeId(), e.toString(), e);
        } finally {
            slots.release(Math.max(0, free));
        }
    }

    private void run(WorkQueue.Item item) {
        if (item.kind().equals("pull")) {
            pull(item);
            return;
        }
        if (item.kind().equals("copy")) {
            copy(item);
            return;
        }
        TransferOrigin origin = TransferOrigin.work(protocolOf(item.partner()), "work-" + item.id(), item.account(),
                item.partner());
        Transfer transfer = null;
        FileStore store = null;
        long sent = 0;
        Exception error = null;
        try {
            store = storage.open(home(item.account()), Quota.UNLIMITED);
            try (java.nio.file.FileSystem files = store.openFileSystem()) {
                transfer = transfers.delivery(store, store.resolve(files.getPath(item.path())), item.path(), origin);
            }
            // an upload's first attempt always sends: a same-size file there may be an older upload of the name
            boolean rerun = item.attempts() > 1 || item.uploadId() == 0;
            sent = partners.deliver(item.partner(), transfer.content(), item.remoteName(), String.valueOf(item.id()),
                    rerun, transfer.tracker());
        } catch (Exception e) {
            error = e;
        }
        // the attempt's transfer-log row and the item's new state commit together
        String failure = error == null ? null : Intake.message(error);
        try {
            if (error == null) {
                try {
                    // the hash of what was sent (read again if a retry re-sent part); the upload's own when nothing was
                    transfer.completeUnchanged(item.sha256(), row -> queue.done(item, node.nodeId()));
                } catch (java.io.IOException e) {
                    failure = Intake.message(e); // its failed row is written
                    queue.failed(item, node.nodeId(), failure);
                }
            } else if (transfer != null) {
                String why = failure;
                transfer.fail(error, row -> queue.failed(item, node.nodeId(), why));
            } else {
                String why = failure;
                transfers.failedBeforeOpening(Direction.OUTBOUND, item.path(), origin, error,
                        row -> queue.failed(item, node.nodeId(), why));
            }
        } catch (RuntimeException e) {
            // the item stays claimed until its lease runs out, then runs again (a delivery already there is not
            // sent twice)
            log.warn("Could not record delivery {}: {}", item.id(), e.toString());
            return;
        }
        if (failure == null) {
            log.info("Delivered {} of {} to {} as {} ({} bytes, attempt {})", item.path(), item.account(),
                    item.partner(), item.remoteName(), sent, item.attempts());
            afterLastDelivery(item, store);
        } else {
            log.warn("Delivery {} of {} to {} failed (attempt {} of {}): {}", item.id(), item.path(), item.partner(),
                    item.attempts(), item.maxAttempts(), failure);
        }
    }

    /**
     * Fetches the partner's new files matching the item's glob into the account's folder, each taken in as an
     * upload (its own inbound transfer-log row, the account's routes run on it) and recorded with its size and
     * modification time so that no re-run fetches it again; then removes them from the partner when asked.
     */
    private void pull(WorkQueue.Item item) {
        String partner = item.partner();
        String protocol = protocolOf(partner);
        try {
            var result = partners.pull(partner, item.remoteName(), item.postAction().equals("delete-remote"),
                    new PartnerService.PullHandler() {
                        @Override
                        public boolean alreadyFetched(PartnerService.RemoteFile file) {
                            return taken.pulled(partner, file.path(), file.size(), file.mtime());
                        }

                        @Override
                        public void fetch(PartnerService.RemoteFile file, java.io.InputStream content)
                                throws java.io.IOException {
                            intake.take(item.account(), item.path(), file.name(), content, file.size(), protocol,
                                    "work-" + item.id(), partner, row -> taken.recordPull(partner, file.path(),
                                            file.size(), file.mtime(), row.getSha256(), item.account(), row.getPath(),
                                            item.id()));
                        }
                    });
            queue.done(item, node.nodeId());
            log.info("Pulled {} new file(s) from {} into {} of {} ({} fetched before, {} removed from the partner, "
                    + "attempt {})", result.fetched(), partner, item.path(), item.account(), result.alreadyFetched(),
                    result.removed(), item.attempts());
        } catch (Exception e) {
            String error = Intake.message(e);
            log.warn("Pull {} from {} failed (attempt {} of {}): {}", item.id(), partner, item.attempts(),
                    item.maxAttempts(), error);
            queue.failed(item, node.nodeId(), error);
            if (!loggedByIntake(e)) {
                transfers.failedBeforeOpening(Direction.INBOUND, item.path(), TransferOrigin.work(protocol,
                        "work-" + item.id(), item.account(), partner), e);
            }
        }
    }

    /**
     * Copies the file within the storage into {@code account:/folder/name} (the item's remote name): read through
     * the source account's storage, written through the target's (its quota and encryption), taken in there as an
     * upload (an inbound row; the target account's routes run on it). Recorded with the arrival, so a re-run after a
     * crash does not copy (and route) it twice.
     */
    private void copy(WorkQueue.Item item) {
        String target = item.remoteName();
        int colon = target.indexOf(':');
        String account = target.substring(0, colon);
        java.nio.file.Path where = java.nio.file.Path.of(target.substring(colon + 1));
        String folder = where.getParent() == null ? "/" : where.getParent().toString();
        String marker = "copy:" + item.id();
        try {
            FileStore store = storage.open(home(item.account()), Quota.UNLIMITED);
            if (!taken.monitored(marker, target, 0, 0)) {
                try (java.nio.file.FileSystem files = store.openFileSystem();
                        StoredContent in = store.openRead(store.resolve(files.getPath(item.path())))) {
                    intake.take(account, folder, where.getFileName().toString(), java.nio.channels.Channels
                            .newInputStream(in), in.size(), "copy", "work-" + item.id(), item.account() + ":"
                            + item.path(), row -> taken.recordMonitored(marker, target, 0, 0));
                }
            }
            queue.done(item, node.nodeId());
            log.info("Copied {} of {} to {} (attempt {})", item.path(), item.account(), target, item.attempts());
            afterLastDelivery(item, store);
        } catch (Exception e) {
            String error = Intake.message(e);
            log.warn("Copy {} of {} to {} failed (attempt {} of {}): {}", item.id(), item.path(), target,
                    item.attempts(), item.maxAttempts(), error);
            queue.failed(item, node.nodeId(), error);
            if (!(e instanceof Intake.IntakeFailure)) {
                transfers.failedBeforeOpening(Direction.INBOUND, where.toString(), TransferOrigin.work("copy",
                        "work-" + item.id(), account, item.account() + ":" + item.path()), e);
            }
        }
    }

    /**
     * Once every delivery of the upload is done: the source file is archived ({@code /archive/<stamp>-<name>}) or
     * deleted, as its routes ask. Done at most once in effect: a second run finds the file gone and does nothing.
     */
    private void afterLastDelivery(WorkQueue.Item item, FileStore store) {
        if (item.postAction().equals("keep")) {
            return; // the group's strongest action: nothing to do to the source, no need to ask
        }
        try {
            var action = queue.pendingPostAction(item);
            if (action.isEmpty()) {
                return;
            }
            try (java.nio.file.FileSystem files = store.openFileSystem()) {
                java.nio.file.Path source = store.resolve(files.getPath(item.path()));
                if (action.get().equals("delete")) {
                    store.delete(source);
                } else {
                    java.nio.file.Path archive = store.resolve(files.getPath("/archive"));
                    try {
                        store.createDirectory(archive);
                    } catch (java.nio.file.FileAlreadyExistsException exists) {
                        // archived before
                    }
                    String stamp = java.time.LocalDateTime.now(java.time.ZoneOffset.UTC)
                            .format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
                    store.rename(source, store.resolve(files.getPath("/archive/" + stamp + "-"
                            + java.nio.file.Path.of(item.path()).getFileName())));
                }
            } catch (java.nio.file.NoSuchFileException gone) {
                // another node did it first, or the partner deleted it meanwhile
            }
            queue.postActionDone(item);
            log.info("{} {} of {} after its last delivery", action.get().equals("delete") ? "Deleted" : "Archived",
                    item.path(), item.account());
        } catch (Exception e) {
            log.warn("The post-action on {} of {} failed: {}", item.path(), item.account(), e.toString());
        }
    }

    @Override
    public void stop() {
        running = false;
        if (poller != null) {
            poller.shutdownNow();
            workers.shutdown();
            try {
                workers.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** After the listeners (a node serves first, then works). */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 500;
    }

    /** Daemon threads named {@code name-1}, {@code name-2}... (the primary scheduler's too). */
    static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong count = new AtomicLong();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
