package io.ferry.storage;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The pending files this process holds locked, and a mutex per pending name.
 *
 * <p>An upload's lock on its pending file is a POSIX lock: it belongs to the process, and closing any channel of the
 * file, however it was opened, drops every lock the process holds on it (NFS too). A look at an upload in progress
 * that opened its pending file and closed it again (its size for a stat, a listing or a resume, another upload of
 * the name trying its lock, the sweep of abandoned ones) would let another node take the file while the upload
 * still writes it. So everything in this process that opens a pending file by its name does it holding the name's
 * mutex, and first asks here whether this process holds the file; if it does, it reads through the upload's own
 * channel instead of opening the file, once what the upload's writer handed to the file is in it. A file gets a
 * pending name, and is registered here, under the same mutex.
 */
final class HeldParts {

    private static final int STRIPES = 64;
    private static final ReentrantLock[] NAMES = new ReentrantLock[STRIPES];
    private static final Map<Path, Held> HELD = new ConcurrentHashMap<>();

    static {
        for (int i = 0; i < STRIPES; i++) {
            NAMES[i] = new ReentrantLock();
        }
    }

    private HeldParts() {
    }

    /** The mutex of a pending name. */
    static ReentrantLock name(Path part) {
        return NAMES[Math.floorMod(key(part).hashCode(), STRIPES)];
    }

    /** A pending file this process holds: its upload's channel, and its writer once the upload has one. */
    static final class Held {
        final FileChannel channel;
        private volatile ContentWriter writer;

        Held(FileChannel channel) {
            this.channel = channel;
        }

        void writer(ContentWriter writer) {
            this.writer = writer;
        }

        /** The upload's channel, once what its writer handed to the file is in it. */
        FileChannel settled() {
            ContentWriter current = writer;
            if (current != null) {
                current.settle();
            }
            return channel;
        }
    }

    /** Registers the pending file this process has just locked, with its upload's channel (under the mutex). */
    static Held hold(Path part, FileChannel channel) {
        Held held = new Held(channel);
        HELD.put(key(part), held);
        return held;
    }

    /** The upload let its pending file go (or renamed or removed it). */
    static void let(Path part, Held held) {
        HELD.remove(key(part), held);
    }

    /**
     * The pending file of that name when an upload in this process holds it, else null (under the mutex). A read
     * through its channel may find it closed: the upload let the file go meanwhile.
     */
    static Held held(Path part) {
        return HELD.get(key(part));
    }

    private static Path key(Path part) {
        return part.toAbsolutePath().normalize();
    }
}
