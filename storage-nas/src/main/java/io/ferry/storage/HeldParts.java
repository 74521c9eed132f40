package io.ferry.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
 * mutex, and first asks here whether this process holds the file; if it does, the file is not opened: its size is
 * worked out from its length once what the upload's writer handed to it is in it. A file gets a pending name, and
 * is registered here, under the same mutex. The upload's own operations on its file by name (its time, its
 * attributes: the JDK opens and closes the file for them) are followed at once by taking its lock again.
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

    /** A pending file this process holds, and its upload's writer once it has one. */
    static final class Held {
        private volatile ContentWriter writer;

        void writer(ContentWriter writer) {
            this.writer = writer;
        }

        /**
         * About how much plaintext the pending file {@code part} holds, once what its writer handed to the file is
         * in it: from its length (a stat, which opens nothing); 0 before the upload has a writer.
         */
        long size(Path part) throws IOException {
            ContentWriter current = writer;
            if (current == null) {
                return 0;
            }
            current.settle();
            try {
                return current.heldSize(Files.size(part));
            } catch (NoSuchFileException published) {
                return 0; // published or removed meanwhile
            }
        }
    }

    /** Registers the pending file this process has just locked (under the mutex). */
    static Held hold(Path part) {
        Held held = new Held();
        HELD.put(key(part), held);
        return held;
    }

    /** The upload let its pending file go (or renamed or removed it). */
    static void let(Path part, Held held) {
        HELD.remove(key(part), held);
    }

    /** The pending file of that name when an upload in this process holds it, else null (under the mutex). */
    static Held held(Path part) {
        return HELD.get(key(part));
    }

    private static Path key(Path part) {
        return part.toAbsolutePath().normalize();
    }
}
