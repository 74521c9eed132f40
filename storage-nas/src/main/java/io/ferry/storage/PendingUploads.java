package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads in progress live beside their target as {@code .ferry-part-<name>}: the same directory, so publishing is
 * one atomic rename on the same file system. Names starting with {@code .ferry-} are Ferry's: hidden from listings
 * and closed to clients.
 */
final class PendingUploads {

    static final String RESERVED_PREFIX = ".ferry-";
    static final String PART_PREFIX = ".ferry-part-";
    /**
     * A new pending file's own name until it is linked to its pending name (a moment; a crash can leave one behind,
     * a second name of a pending file, which the sweep unlinks by age without opening it).
     */
    static final String NEW_PREFIX = ".ferry-new-";
    /** Longest file name most file systems (and NFS) accept, in bytes. */
    static final int NAME_MAX = 255;

    private static final Logger log = LoggerFactory.getLogger(PendingUploads.class);

    private PendingUploads() {
    }

    /** Case-insensitively, for storage that folds case (a CIFS share). */
    static boolean isReserved(String name) {
        return name.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length());
    }

    static boolean isPart(String name) {
        return name.regionMatches(true, 0, PART_PREFIX, 0, PART_PREFIX.length());
    }

    /** The name a client sees for a stored name: a pending upload's name maps back to its file's. */
    static String clientName(String name) {
        return isPart(name) ? targetName(name) : name;
    }

    /**
     * @throws IOException when the target name is too long to have a pending-upload name beside it
     */
    static String partName(String target) throws IOException {
        String part = PART_PREFIX + target;
        if (part.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new StorageException("file name too long: at most " + (NAME_MAX - PART_PREFIX.length())
                    + " bytes for an upload");
        }
        return part;
    }

    static String targetName(String part) {
        return part.substring(PART_PREFIX.length());
    }

    /** The user attribute that marks a part written out of order ({@link #markRewritten}). */
    static final String REWRITTEN = "ferry.rewritten";

    /**
     * Marks a part whose content is about to be rewritten in place, so that a resume after a crash checks all of it
     * (a torn rewrite can be anywhere, not only at the end). Best effort: a file system without user attributes
     * keeps no mark, and a torn rewrite is then found when the file is read.
     */
    static void markRewritten(Path part) {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(part, UserDefinedFileAttributeView.class);
        try {
            if (view != null) {
                view.write(REWRITTEN, ByteBuffer.wrap(new byte[] {'1'}));
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("Cannot mark {} as rewritten: {}", part, e.getMessage());
        }
    }

    static boolean isRewritten(Path part) {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(part, UserDefinedFileAttributeView.class);
        try {
            return view != null && view.list().contains(REWRITTEN);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Whether an upload holds the part (its lock, on this node or another), tried with a shared lock for a moment. */
    static boolean inProgress(FileChannel part) {
        try {
            FileLock lock = part.tryLock(0, Long.MAX_VALUE, true);
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException | IOException e) {
            return true;
        }
    }

    /** Drops the mark (the part starts over, or becomes a file). */
    static void clearRewritten(Path part) {
        UserDefinedFileAttributeView view = Files.getFileAttributeView(part, UserDefinedFileAttributeView.class);
        try {
            if (view != null && view.list().contains(REWRITTEN)) {
                view.delete(REWRITTEN);
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("Cannot unmark {}: {}", part, e.getMessage());
        }
    }

    /**
     * Deletes pending uploads not touched since {@code olderThan}: uploads that were dropped and never resumed.
     *
     * @return how many were deleted
     */
    static int sweep(Path root, Instant olderThan) throws IOException {
        int[] deleted = new int[1];
        if (!Files.isDirectory(root)) {
            return 0;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                boolean old = attrs.lastModifiedTime().toInstant().isBefore(olderThan);
                if (attrs.isRegularFile() && isPart(name) && old) {
                    sweep(file);
                } else if (attrs.isRegularFile() && old
                        && name.regionMatches(true, 0, NEW_PREFIX, 0, NEW_PREFIX.length())) {
                    try {
                        Files.deleteIfExists(file); // only a name: never opened, its file may be an upload's
                    } catch (IOException e) {
                        log.warn("Cannot remove the leftover name {}: {}", file, e.getMessage());
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE;
            }

            /** Deletes one, unless an upload holds its lock (idle, not abandoned): on this node it is not opened. */
            private void sweep(Path file) {
                ReentrantLock name = HeldParts.name(file);
                name.lock();
                try {
                    if (HeldParts.held(file) != null) {
                        return;
                    }
                    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
                            FileLock lock = channel.tryLock()) {
                        if (lock != null) {
                            Files.deleteIfExists(file);
                            deleted[0]++;
                            log.info("Removed an abandoned partial upload {}", root.relativize(file));
                        }
                    } catch (OverlappingFileLockException e) {
                        // held by an upload in this process
                    } catch (IOException e) {
                        log.warn("Cannot remove the abandoned partial upload {}: {}", file, e.getMessage());
                    }
                } finally {
                    name.unlock();
                }
            }
        });
        return deleted[0];
    }
}
