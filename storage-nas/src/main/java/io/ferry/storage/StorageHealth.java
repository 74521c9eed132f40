package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.FailureKind;

/**
 * Whether the shared storage can take files: a probe writes, syncs, reads back and deletes a small file under the
 * storage root, and checks the free space. Its last result feeds the node's readiness; while it is down, new
 * sessions and uploads are refused with {@link StorageUnavailableException}.
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

    private static final Logger log = LoggerFactory.getLogger(StorageHealth.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path root;
    private final String nodeId;
    private final long minFreeBytes;
    private volatile Status status;

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
    public synchronized Status probe() {
        long start = System.nanoTime();
        Status result;
        long free = -1;
        try {
            if (!Files.isDirectory(root)) {
                throw new IOException("the storage root " + root + " is missing (is the NAS mounted?)");
            }
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
            result = new Status(false, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage(), free,
                    Duration.ofNanos(System.nanoTime() - start), Instant.now());
        }
        if (result.up() != status.up()) {
            if (result.up()) {
                log.info("Storage is available again");
            } else {
                log.error("Storage is unavailable: {}", result.detail());
            }
        }
        status = result;
        return result;
    }

    public Status status() {
        return status;
    }

    /**
     * @throws StorageUnavailableException when the last probe failed
     */
    public void check() throws StorageUnavailableException {
        Status current = status;
        if (!current.up()) {
            throw new StorageUnavailableException(FailureKind.STORAGE_UNAVAILABLE.words() + ": " + current.detail());
        }
    }
}
