package io.ferry.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts the disk on an upload's data while the upload goes on: after every {@link #EVERY} bytes an
 * {@code fdatasync} runs on a background thread, so the final sync at completion only has the tail left. Without
 * it a large upload sits in the page cache (the kernel's background writeback starts at a share of the RAM) and
 * the whole file is written out at completion, after the client has sent its last byte.
 */
final class Flusher {

    static final long EVERY = 32L * 1024 * 1024;

    /** A few threads for all uploads: a sync waits on the disk, not the CPU; each upload has at most one queued. */
    private static final ExecutorService FLUSHERS = Executors.newFixedThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "storage-flush");
        thread.setDaemon(true);
        return thread;
    });

    private final FileChannel file;
    private long unflushed;
    private CompletableFuture<Void> running = CompletableFuture.completedFuture(null);

    Flusher(FileChannel file) {
        this.file = file;
    }

    /** Called after bytes were written; starts a background sync when enough have piled up and none is running. */
    void written(long bytes) {
        unflushed += bytes;
        if (unflushed >= EVERY && running.isDone()) {
            unflushed = 0;
            running = CompletableFuture.runAsync(() -> {
                try {
                    file.force(false);
                } catch (IOException e) {
                    // the final force at completion reports any real failure
                }
            }, FLUSHERS);
        }
    }
}
