package io.ferry.transfer.work;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.cluster.PrimaryElection;
import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.route.FolderMonitorService;
import io.ferry.transfer.route.ScheduleService;
import io.ferry.transfer.route.TakenFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What only the primary runs: the schedules' fires, checked five times a second (each stamped with the primary's
 * fencing token and refused by the database once that token is stale), and the folder monitors' polls, once a
 * second on a thread of their own. A node that stops being primary stops at its next tick; the new primary catches
 * up on fires nobody ran, as each schedule's misfire policy says.
 */
public final class PrimaryScheduler implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PrimaryScheduler.class);

    /** A file seen in a monitored folder: unchanged since {@code since} (nanoTime). */
    private record Seen(long size, long mtime, long since) {
    }

    private final ScheduleService schedules;
    private final FolderMonitorService monitors;
    private final TakenFiles taken;
    private final Intake intake;
    private final AccountService accounts;
    private final StorageRoot storage;
    private final PrimaryElection election;
    private final MeterRegistry meters;
    private final io.ferry.transfer.route.WorkQueue queue;
    private final java.time.Duration workRetention;
    private final Counter misfires;
    private final Map<String, Seen> seen = new HashMap<>();
    private final Set<String> reportedMissing = new HashSet<>();
    private ScheduledExecutorService ticker;
    private ScheduledExecutorService monitorPoller;
    /** Schedules whose last fire failed before it was recorded (a folder that cannot be listed): not before then. */
    private final Map<String, Long> retryAfter = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running;

    public PrimaryScheduler(ScheduleService schedules, FolderMonitorService monitors, TakenFiles taken, Intake intake,
            AccountService accounts, StorageRoot storage, PrimaryElection election, MeterRegistry meters,
            io.ferry.transfer.route.WorkQueue queue, java.time.Duration workRetention) {
        this.queue = queue;
        this.workRetention = workRetention;
        this.schedules = schedules;
        this.monitors = monitors;
        this.taken = taken;
        this.intake = intake;
        this.accounts = accounts;
        this.storage = storage;
        this.election = election;
        this.meters = meters;
        this.misfires = Counter.builder("ferry.schedule.misfires").description("scheduled fires nobody ran in time "
                + "(caught up by one fire, or skipped, as the schedule says)").register(meters);
    }

    @Override
    public void start() {
        ticker = Executors.newSingleThreadScheduledExecutor(WorkDispatcher.daemon("ferry-primary-scheduler"));
        monitorPoller = Executors.newSingleThreadScheduledExecutor(WorkDispatcher.daemon("ferry-folder-monitors"));
        // schedules are checked five times a second (one indexed query), so a fire is at most ~200 ms late; monitors
        // poll once a second on a thread of their own, so a long intake never holds a fire back
        ticker.scheduleWithFixedDelay(() -> guarded(this::fireDueSchedules, false), 1000, 200,
                TimeUnit.MILLISECONDS);
        monitorPoller.scheduleWithFixedDelay(() -> guarded(this::pollMonitors, true), 1, 1, TimeUnit.SECONDS);
        monitorPoller.scheduleWithFixedDelay(() -> guarded(this::purgeWorkItems, false), 1, 10, TimeUnit.MINUTES);
        running = true;
    }

    /** Runs a periodic task on the primary only; nothing it throws cancels its schedule. */
    private void guarded(Runnable task, boolean monitors) {
        try {
            if (running && election.isPrimary()) {
                task.run();
            } else if (monitors) {
                seen.clear(); // a primary again later watches files anew
            }
        } catch (Throwable e) {
            log.error("Primary scheduler: {}", e.toString(), e);
        }
    }



    private void fireDueSchedules() {
        try {
            Instant now = Instant.now();
            for (String name : schedules.due(now)) {
                if (!election.isPrimary()) {
                    return;
                }
                Long after = retryAfter.get(name);
                if (after != null && System.nanoTime() - after < 0) {
                    continue;
                }
                retryAfter.remove(name);
                try {
                    schedules.fire(name, now, election.node(), election.token(), this::pushFiles).ifPresent(fire -> {
                        meters.counter("ferry.schedule.fires", "outcome", fire.outcome()).increment();
                        misfires.increment(fire.missed() + (fire.outcome().equals("skipped") ? 1 : 0));
                        log.info("Schedule {} {} for {} ({} work item(s), token {}{})", name, fire.outcome(),
                                fire.fireTime(), fire.items(), fire.fencingToken(),
                                fire.missed() > 0 ? ", catching up " + fire.missed() + " missed" : "");
                    });
                } catch (ScheduleService.NotPrimaryException e) {
                    log.warn("Schedule {} not fired: {}", name, e.getMessage());
                    return;
                } catch (IOException | RuntimeException e) {
                    // tried again in 10 s (a fire is never skipped for it: the misfire policy decides when it runs)
                    retryAfter.put(name, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                    log.warn("Schedule {} could not fire (tried again in 10 s): {}", name, e.toString());
                }
            }
        } catch (RuntimeException e) {
            log.warn("Schedules: {}", e.toString());
        }
    }

    /** Done work items older than {@code ferry.work.retention} go, in batches (their transfer-log rows stay). */
    private void purgeWorkItems() {
        int purged = 0;
        for (int batch = queue.purgeDone(workRetention, 10_000); batch > 0 && purged < 1_000_000;
                batch = queue.purgeDone(workRetention, 10_000)) {
            purged += batch;
        }
        if (purged > 0) {
            log.info("Deleted {} done work items older than {}", purged, workRetention);
        }
    }

    /** An administrator's "run now": a fire of its own, on this node, whichever role it has. */
    public ScheduleService.Fire runNow(String name) throws IOException {
        ScheduleService.Fire fire = schedules.runNow(name, Instant.now(), election.node(), this::pushFiles);
        meters.counter("ferry.schedule.fires", "outcome", fire.outcome()).increment();
        log.info("Schedule {} run by hand ({} work item(s))", name, fire.items());
        return fire;
    }

    /** The files of an account's folder matching a glob, as its clients would list them (absolute paths). */
    List<String> pushFiles(String account, String folder, String glob) throws IOException {
        var found = accounts.get(account);
        FileStore store = storage.open(found.getHome(), Quota.UNLIMITED);
        PathMatcher matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
        List<String> files = new ArrayList<>();
        try (FileSystem view = store.openFileSystem()) {
            Path directory = store.resolve(view.getPath(folder));
            if (!Files.isDirectory(directory)) {
                return files;
            }
            try (DirectoryStream<Path> entries = store.list(directory)) {
                for (Path entry : entries) {
                    if (Files.isRegularFile(entry)
                            && matcher.matches(entry.getFileName())) {
                        files.add((folder.endsWith("/") ? folder : folder + "/") + entry.getFileName());
                    }
                }
            }
        }
        files.sort(null);
        return files;
    }

    private void pollMonitors() {
        if (monitors.root().isEmpty()) {
            return;
        }
        try {
            Set<String> present = new HashSet<>();
            for (FolderMonitorService.Monitor monitor : monitors.list()) {
                if (monitor.enabled()) {
                    poll(monitor, present);
                }
            }
            seen.keySet().retainAll(present);
        } catch (RuntimeException e) {
            log.warn("Folder monitors: {}", e.toString());
        }
    }

    /** Files a monitor renamed to take them in (a crash left them there if they are still there). */
    static final String TAKING = ".ferry-taking-";

    /**
     * Takes in each file of the monitor's folder whose size and modification time stayed the same for the monitor's
     * stable time. Symbolic links are never followed: neither a linked folder nor a linked file is taken.
     */
    private void poll(FolderMonitorService.Monitor monitor, Set<String> present) {
        Path directory = monitors.directory(monitor);
        Path root = monitors.root().orElseThrow();
        try {
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)
                    || !directory.toRealPath().startsWith(root.toRealPath())) {
                if (reportedMissing.add(monitor.name())) {
                    log.warn("Folder monitor {}: {} is not a directory under {} (yet)", monitor.name(), directory,
                            root);
                }
                return;
            }
        } catch (IOException e) {
            return;
        }
        reportedMissing.remove(monitor.name());
        PathMatcher matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + monitor.fileGlob());
        long now = System.nanoTime();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path file : entries) {
                String name = file.getFileName().toString();
                boolean resumed = name.startsWith(TAKING);
                if (!resumed && (name.startsWith(".") || !matcher.matches(file.getFileName()))) {
                    continue;
                }
                BasicFileAttributes attributes;
                try {
                    attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    continue;
                }
                if (!attributes.isRegularFile()) {
                    continue;
                }
                long size = attributes.size();
                long mtime = attributes.lastModifiedTime().toMillis();
                if (resumed) {
                    // a take that a crash or failover interrupted: finish it
                    take(monitor, file, name.substring(TAKING.length()), size, mtime);
                    continue;
                }
                String key = monitor.name() + "/" + name;
                present.add(key);
                Seen before = seen.get(key);
                if (before == null || before.size() != size || before.mtime() != mtime) {
                    seen.put(key, new Seen(size, mtime, now));
                } else if (now - before.since() >= TimeUnit.SECONDS.toNanos(monitor.stableSeconds())
                        && election.isPrimary()) {
                    seen.remove(key);
                    // moved aside first: a new file the writer puts under that name meanwhile is never touched
                    Path taking = file.resolveSibling(TAKING + name);
                    try {
                        Files.move(file, taking, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        log.warn("Folder monitor {} could not move {} aside: {}", monitor.name(), file, e.toString());
                        continue;
                    }
                    take(monitor, taking, name, size, mtime);
                }
            }
        } catch (IOException e) {
            log.warn("Folder monitor {}: cannot list {}: {}", monitor.name(), directory, e.toString());
        }
    }

    /** Takes in {@code file} (moved aside) as {@code name}, once; then removes it. */
    private void take(FolderMonitorService.Monitor monitor, Path file, String name, long size, long mtime) {
        String path = monitor.folder() + "/" + name;
        try {
            if (!taken.monitored(monitor.name(), path, size, mtime)) {
                String session = "monitor-" + monitor.name();
                try (InputStream content = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                    intake.take(monitor.account(), monitor.targetFolder(), name, content, size, "monitor",
                            session.length() > 64 ? session.substring(0, 64) : session, "monitor:" + monitor.folder(),
                            row -> taken.recordMonitored(monitor.name(), path, size, mtime));
                }
                meters.counter("ferry.monitor.files").increment();
                log.info("Folder monitor {} took {} ({} bytes) into {}{} of {}", monitor.name(), path, size,
                        monitor.targetFolder(), monitor.targetFolder().endsWith("/") ? "" : "/", monitor.account());
            }
            Files.deleteIfExists(file);
        } catch (IOException | RuntimeException e) {
            log.warn("Folder monitor {} could not take {}: {} (tried again at its next poll)", monitor.name(), path,
                    e.toString());
        }
    }

    @Override
    public void stop() {
        running = false;
        for (ScheduledExecutorService executor : new ScheduledExecutorService[] {ticker, monitorPoller}) {
            if (executor != null) {
                executor.shutdownNow();
                try {
                    executor.awaitTermination(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** With the work dispatcher: after the listeners. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 500;
    }
}
