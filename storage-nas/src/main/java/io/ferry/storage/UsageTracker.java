package io.ferry.storage;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * How much each home holds, for quotas. A home is scanned when first needed and again once its figures are older
 * than the rescan interval (other nodes write to the same homes); in between this node's own uploads and deletes
 * keep the figures current.
 */
public final class UsageTracker {

    /** Bytes and files of one home. */
    public record Usage(long bytes, long files) {
    }

    private static final class Entry {
        long bytes;
        long files;
        Instant scannedAt;
    }

    private final ConcurrentMap<Path, Entry> homes = new ConcurrentHashMap<>();
    private final Duration rescanAfter;
    private final Clock clock;

    public UsageTracker(Duration rescanAfter) {
        this(rescanAfter, Clock.systemUTC());
    }

    UsageTracker(Duration rescanAfter, Clock clock) {
        this.rescanAfter = rescanAfter;
        this.clock = clock;
    }

    public Usage usage(Path home) throws IOException {
        Entry entry = fresh(home);
        synchronized (entry) {
            return new Usage(entry.bytes, entry.files);
        }
    }

    /** Records a change made by this node: bytes added (negative when removed) and files added or removed. */
    void changed(Path home, long bytes, long files) {
        Entry entry = homes.get(home);
        if (entry != null) {
            synchronized (entry) {
                entry.bytes = Math.max(0, entry.bytes + bytes);
                entry.files = Math.max(0, entry.files + files);
            }
        }
    }

    /**
     * Adds {@code bytes} to the home's usage unless that takes it over {@code limit} (0 = no limit).
     *
     * @return whether the bytes were added
     */
    boolean tryAddBytes(Path home, long bytes, long limit) throws IOException {
        Entry entry = fresh(home);
        synchronized (entry) {
            if (limit > 0 && entry.bytes + bytes > limit) {
                return false;
            }
            entry.bytes += bytes;
            return true;
        }
    }

    /** Counts one more file unless the home already has {@code limit} (0 = no limit). */
    boolean tryAddFile(Path home, long limit) throws IOException {
        Entry entry = fresh(home);
        synchronized (entry) {
            if (limit > 0 && entry.files >= limit) {
                return false;
            }
            entry.files++;
            return true;
        }
    }

    private Entry fresh(Path home) throws IOException {
        Entry entry = homes.computeIfAbsent(home, h -> new Entry());
        synchronized (entry) {
            Instant now = clock.instant();
            if (entry.scannedAt == null || entry.scannedAt.plus(rescanAfter).isBefore(now)) {
                long[] totals = scan(home);
                entry.bytes = totals[0];
                entry.files = totals[1];
                entry.scannedAt = now;
            }
        }
        return entry;
    }

    private static long[] scan(Path home) throws IOException {
        long[] totals = new long[2];
        if (!Files.isDirectory(home)) {
            return totals;
        }
        Files.walkFileTree(home, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    totals[0] += attrs.size();
                    if (!PendingUploads.isReserved(file.getFileName().toString())) {
                        totals[1]++;
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }
        });
        return totals;
    }
}
