package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.FailureKind;

/**
 * Whether the shared storage can take files: a probe finds the storage's mark, writes, syncs, reads back and deletes
 * a small file under the storage root, and checks the free space. Its last result feeds the node's readiness; while
 * it is down, new sessions and uploads are refused with {@link StorageUnavailableException}.
 *
 * <p>The mark ({@value #MARK}, a random id written by the first node that probes an unmarked root) tells the NAS
 * from the empty directory it is mounted on: once a node has seen it, a root without it, or with another, is a NAS
 * that went away (unmounted) and is down, so nothing is written to the local disk beneath. A probe that has not
 * returned for {@link #HUNG_AFTER} (a NAS that hangs, as an NFS hard mount does) is down too, without waiting for
 * it to return.
 */
public final class StorageHealth {

    /**
     * @param up           the probe passed and there is enough free space
     * @param detail       what failed, or "ok"
     * @param freeBytes    usable bytes on the storage, -1 when unknown
     * @param probeLatency how long the probe took
     * @param checkedAt    when it ran
     */
    public record Status(boolean up, String detail, long freeBytes, Duration probeLatency, Instant checkedAt) {
    }

    /** The file at the storage root that marks it as Ferry's storage (hidden: names starting .ferry- are). */
    public static final String MARK = ".ferry-storage";
    /** A probe running this long counts as a storage that does not answer. */
    public static final Duration HUNG_AFTER = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(StorageHealth.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final String nodeId;
    private final long minFreeBytes;
    private volatile Status status;
    /** The mark's id as first seen, null until then. */
    private volatile String mark;
    /** When the running probe started (System.nanoTime), 0 when none runs. */
    private volatile long probing;
    /** One probe at a time: they share the probe file. */
    private final ReentrantLock probeLock = new ReentrantLock();
    private final AtomicBoolean hungLogged = new AtomicBoolean();

    /**
     * @param minFreeBytes the storage counts as down with less free space than this; 0 disables the check
     */
    public StorageHealth(Path root, String nodeId, long minFreeBytes) {
        this.root = root;
        this.nodeId = nodeId.replaceAll("[^A-Za-z0-9._-]", "_");
        this.minFreeBytes = minFreeBytes;
        this.status = new Status(true, "not probed yet", -1, Duration.ZERO, Instant.now());
    }

    /** Runs a probe that a storage fault asked for, one at a time and off the caller's thread. */
    private static final ScheduledExecutorService RECHECKS =
            Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "storage-recheck");
                thread.setDaemon(true);
                return thread;
            });
    private static final Duration RECHECK_GAP = Duration.ofSeconds(1);
    private final AtomicBoolean recheckPending =
            new AtomicBoolean();

    /**
     * A write just failed for a reason of the storage itself (full, read-only): probe again within about a second,
     * rather than at the next interval, so readiness says so soon. Does not wait; a recheck already pending is
     * enough, and probes stay at least a second apart (uploads failing one after the other need no probe each).
     */
    public void recheckSoon() {
        if (recheckPending.compareAndSet(false, true)) {
            long wait = Math.max(0, RECHECK_GAP.minus(Duration.between(status.checkedAt(), Instant.now())).toMillis());
            try {
                RECHECKS.schedule(() -> {
                    try {
                        probe();
                    } finally {
                        recheckPending.set(false);
                    }
                }, wait, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                recheckPending.set(false);
            }
        }
    }

    /** Runs the probe now and remembers its result (one probe at a time: they share the probe file). */
    public Status probe() {
        probeLock.lock();
        try {
            return probeLocked();
        } finally {
            probeLock.unlock();
        }
    }

    private Status probeLocked() {
        long start = System.nanoTime();
        probing = start;
        try {
            return runProbe(start);
        } finally {
            probing = 0;
        }
    }

    private Status runProbe(long start) {
        Status result;
        long free = -1;
        try {
            if (!Files.isDirectory(root)) {
                throw new IOException("the storage root is missing (is the NAS mounted?)");
            }
            checkMark();
            Path dir = root.resolve(PendingUploads.RESERVED_PREFIX + "health");
            Files.createDirectories(dir);
            Path probe = dir.resolve(nodeId + ".probe");
            byte[] data = new byte[4096];
            RANDOM.nextBytes(data);
            try (FileChannel channel = FileChannel.open(probe, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
                ByteBuffer out = ByteBuffer.wrap(data);
                while (out.hasRemaining()) {
                    channel.write(out);
                }
                channel.force(true);
                ByteBuffer in = ByteBuffer.allocate(data.length);
                while (in.hasRemaining() && channel.read(in, in.position()) > 0) {
                    // read it all back
                }
                if (!Arrays.equals(in.array(), data)) {
                    throw new IOException("the storage returned different bytes than were written");
                }
            } finally {
                Files.deleteIfExists(probe);
            }
            free = Files.getFileStore(root).getUsableSpace();
            if (minFreeBytes > 0 && free < minFreeBytes) {
                throw new IOException("only " + free + " bytes free on the storage, below the minimum of "
                        + minFreeBytes + " (ferry.storage.min-free-space): the node is not ready and refuses uploads"
                        + " until there is more");
            }
            result = new Status(true, "ok", free, Duration.ofNanos(System.nanoTime() - start), Instant.now());
        } catch (IOException | RuntimeException e) {
            // in the kernel's words without the NAS's paths: the detail reaches partners in refusals
            String detail = e instanceof IOException io ? StorageFaults.reason(io) : e.getClass().getSimpleName();
            result = new Status(false, detail, free, Duration.ofNanos(System.nanoTime() - start), Instant.now());
        }
        if (result.up() != status.up() || hungLogged.getAndSet(false)) {
            if (result.up()) {
                log.info("Storage {} is available again", root);
            } else {
                log.error("Storage {} is unavailable: {}", root, result.detail());
            }
        }
        status = result;
        return result;
    }

    /**
     * The mark at the root: read, and the first time written when missing; later, missing or different means the
     * NAS is not what is mounted there now.
     */
    private void checkMark() throws IOException {
        Path file = root.resolve(MARK);
        String seen = mark;
        if (seen == null) {
            String found = readMark(file);
            if (found == null) {
                placeMark(file);
                found = readMark(file);
            }
            if (found == null || !found.matches("[0-9a-f]{32}")) {
                throw new IOException("the storage root holds a " + MARK + " that is not Ferry's mark (32 hex"
                        + " digits): remove it if the NAS is the right one");
            }
            mark = found;
            log.info("Storage {} is marked {} ({}): a root without this mark is a NAS that is not mounted", root,
                    found, MARK);
            return;
        }
        String now = readMark(file);
        if (!seen.equals(now)) {
            throw new IOException("the storage root " + (now == null ? "has lost its " + MARK + " mark"
                    : "holds another " + MARK + " mark") + ": the NAS is not mounted there (unmounted, or another"
                    + " volume); nothing is written to what is there now");
        }
    }

    /**
     * Writes a new mark whole beside the root's and links it into place, so that another node never reads it half
     * written; a node that links first wins (where the storage has no hard links, it is created in place).
     */
    private void placeMark(Path file) throws IOException {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        Path draft = root.resolve(MARK + "." + nodeId + ".draft");
        Files.writeString(draft, HexFormat.of().formatHex(id) + "\n", StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            Files.createLink(file, draft);
        } catch (FileAlreadyExistsException e) {
            // another node marked it first: its mark is the one
        } catch (UnsupportedOperationException | IOException e) {
            try {
                Files.move(draft, file); // no hard links here: a rename, which fails if the mark exists
                return;
            } catch (FileAlreadyExistsException taken) {
                // another node marked it first
            }
        } finally {
            Files.deleteIfExists(draft);
        }
    }

    /** The mark's text, or null when there is none; anything but a small regular file (a link, a pipe) is refused. */
    private static String readMark(Path file) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        if (!attributes.isRegularFile() || attributes.size() > 64) {
            throw new IOException("the storage root's " + MARK + " is not a small regular file");
        }
        try (SeekableByteChannel in = Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer text = ByteBuffer.allocate(64);
            while (text.hasRemaining() && in.read(text) > 0) {
                // at most 64 bytes
            }
            return new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII).trim();
        }
    }

    /**
     * A second opinion on a failure the storage gave for no reason of its own words (a file of an upload gone, an
     * I/O error): the status as of at most a second ago, probing now when the last probe is older.
     */
    public Status recent() {
        Status last = status();
        // a probe under way is not waited for (the storage may hang): its result, or its hanging, is status()'s
        if (!last.up() || fresh(last) || !probeLock.tryLock()) {
            return last;
        }
        try {
            // another failure may have had it probed before this one took the lock
            Status now = status();
            return fresh(now) ? now : probeLocked();
        } finally {
            probeLock.unlock();
        }
    }

    private static boolean fresh(Status status) {
        return Duration.between(status.checkedAt(), Instant.now()).compareTo(RECHECK_GAP) < 0;
    }

    /** The last probe's result, or down when the probe under way has not returned for {@link #HUNG_AFTER}. */
    public Status status() {
        long started = probing;
        if (started != 0) {
            Duration running = Duration.ofNanos(System.nanoTime() - started);
            if (running.compareTo(HUNG_AFTER) >= 0) {
                if (hungLogged.compareAndSet(false, true)) {
                    log.error("Storage is unavailable: a probe has not returned for {} s", running.toSeconds());
                }
                return new Status(false, "the storage has not answered a probe for " + running.toSeconds()
                        + " s (is the NAS hung?)", status.freeBytes(), running, Instant.now());
            }
        }
        return status;
    }

    /**
     * @throws StorageUnavailableException when the last probe failed
     */
    public void check() throws StorageUnavailableException {
        Status current = status();
        if (!current.up()) {
            throw refusal(current, null);
        }
    }

    /** The refusal a partner gets while the storage is down as {@code status} says, in its words. */
    static StorageUnavailableException refusal(Status status, Throwable cause) {
        return new StorageUnavailableException(FailureKind.STORAGE_UNAVAILABLE.words() + ": " + status.detail(), cause);
    }
}
