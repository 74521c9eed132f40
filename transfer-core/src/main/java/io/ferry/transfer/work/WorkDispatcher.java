package io.ferry.transfer.work;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.pgp.PgpKeys;
import io.ferry.transfer.pgp.PgpRejected;
import io.ferry.transfer.pgp.PgpStep;
import io.ferry.transfer.route.RouteService;
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
    /** Where a file OpenPGP refused goes, in its account's home. */
    static final String QUARANTINE = "/quarantine";

    private final WorkQueue queue;
    private final PartnerService partners;
    private final AccountService accounts;
    private final StorageRoot storage;
    private final Transfers transfers;
    private final ServingState serving;
    private final ClusterNode node;
    private final Intake intake;
    private final io.ferry.transfer.route.TakenFiles taken;
    private final PgpKeys pgpKeys;
    private final Semaphore slots = new Semaphore(PARALLEL);
    private final com.github.benmanes.caffeine.cache.Cache<String, String> homes = com.github.benmanes.caffeine.cache
            .Caffeine.newBuilder().expireAfterWrite(java.time.Duration.ofSeconds(5)).maximumSize(10_000).build();
    private ScheduledExecutorService poller;
    private ExecutorService workers;
    private volatile boolean running;

    public WorkDispatcher(WorkQueue queue, PartnerService partners, AccountService accounts, StorageRoot storage,
            Transfers transfers, ServingState serving, ClusterNode node, Intake intake,
            io.ferry.transfer.route.TakenFiles taken, PgpKeys pgpKeys) {
        this.pgpKeys = pgpKeys;
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
        Path where = Path.of(target.substring(colon + 1));
        String folder = where.getParent() == null ? "/" : where.getParent().toString();
        String marker = "copy:" + item.id();
        PgpStep step = PgpStep.parse(item.step());
        String protocol = step == null ? "copy" : RouteService.PGP_PROTOCOL;
        String source = item.account() + ":" + item.path();
        FileStore store = null;
        try {
            store = storage.open(home(item.account()), Quota.UNLIMITED);
            if (!taken.monitored(marker, target, 0, 0)) {
                try (FileSystem files = store.openFileSystem();
                        StoredContent in = store.openRead(store.resolve(files.getPath(item.path())))) {
                    InputStream content = Channels.newInputStream(in);
                    String name = where.getFileName().toString();
                    Consumer<TransferRecord> recorded = row -> taken.recordMonitored(marker, target, 0, 0);
                    if (step == null) {
                        intake.take(account, folder, name, content, in.size(), protocol, "work-" + item.id(), source,
                                recorded);
                    } else {
                        long size = in.size();
                        intake.take(TransferOrigin.derived(protocol, "work-" + item.id(), account, source,
                                item.uploadId()), folder, name, out -> transform(step, content, size, out, item),
                                recorded);
                    }
                }
            }
            queue.done(item, node.nodeId());
            log.info("{} {} of {} to {} (attempt {})", step == null ? "Copied" : step.decrypts() ? "Decrypted"
                    : "Encrypted", item.path(), item.account(), target, item.attempts());
            afterLastDelivery(item, store);
        } catch (Exception e) {
            PgpRejected rejected = rejection(e);
            if (rejected != null && step != null && step.decrypts()) { // what a partner sent; never Ferry's own file
                quarantine(item, store, rejected);
                return;
            }
            String error = Intake.message(e);
            log.warn("Copy {} of {} to {} failed (attempt {} of {}): {}", item.id(), item.path(), target,
                    item.attempts(), item.maxAttempts(), error);
            queue.failed(item, node.nodeId(), error);
            if (!(e instanceof Intake.IntakeFailure)) {
                transfers.failedBeforeOpening(Direction.INBOUND, where.toString(), TransferOrigin.work(protocol,
                        "work-" + item.id(), account, source), e);
            }
        }
    }

    /** Writes what the OpenPGP {@code step} makes of {@code content} (streaming: the file is never held whole). */
    private void transform(PgpStep step, InputStream content, long size, OutputStream out, WorkQueue.Item item)
            throws IOException {
        if (step.decrypts()) {
            try (InputStream clear = pgpKeys.decrypt(content, size, step)) {
                clear.transferTo(out);
            }
        } else {
            try (OutputStream sealed = pgpKeys.encrypt(out, step, Path.of(item.path()).getFileName().toString())) {
                content.transferTo(sealed);
            }
        }
    }

    private static PgpRejected rejection(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof PgpRejected rejected) {
                return rejected;
            }
        }
        return null;
    }

    /**
     * A file OpenPGP refused (not for Ferry's keys, badly signed, altered) goes to {@code /quarantine} in its
     * account's home and its item fails at once with the reason: nothing of it is published or delivered.
     */
    private void quarantine(WorkQueue.Item item, FileStore store, PgpRejected rejected) {
        String where = "";
        try {
            if (store != null) {
                where = ", moved to " + moveInto(store, item.path(), QUARANTINE);
            }
        } catch (IOException | RuntimeException e) {
            where = ", left where it is (it could not be moved to " + QUARANTINE + ": " + e.getMessage() + ")";
        }
        String reason = "refused by OpenPGP: " + rejected.getMessage() + where;
        log.warn("Work item {}: {} of {} {}", item.id(), item.path(), item.account(), reason);
        queue.rejected(item, node.nodeId(), reason);
    }

    /** Moves {@code path} into {@code folder} of the store as {@code <yyyyMMdd-HHmmss>-<name>}: its new path. */
    private static String moveInto(FileStore store, String path, String folder) throws IOException {
        try (FileSystem files = store.openFileSystem()) {
            try {
                store.createDirectory(store.resolve(files.getPath(folder)));
            } catch (FileAlreadyExistsException exists) {
                // moved there before
            }
            String stamp = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            String moved = folder + "/" + stamp + "-" + Path.of(path).getFileName();
            store.rename(store.resolve(files.getPath(path)), store.resolve(files.getPath(moved)));
            return moved;
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
            try {
                if (action.get().equals("delete")) {
                    try (FileSystem files = store.openFileSystem()) {
                        store.delete(store.resolve(files.getPath(item.path())));
                    }
                } else {
                    moveInto(store, item.path(), "/archive");
                }
            } catch (NoSuchFileException gone) {
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
