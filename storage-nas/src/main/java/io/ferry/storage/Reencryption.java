package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites, in the background, every file not yet encrypted with the active storage key: files under a retired key
 * after a rotation, and plain files written before encryption was turned on. Each file is rewritten beside itself
 * and swapped in with an atomic rename, keeping its modification time; a file that changes meanwhile is left for
 * the next pass (uploads, resumed ones and appends included, always write with the active key).
 */
public final class Reencryption {

    /**
     * @param running    whether a pass is under way
     * @param checked    files looked at in the current or last pass
     * @param rewritten  files rewritten with the active key
     * @param failed     files that could not be rewritten (see the log)
     * @param startedAt  when the pass started (null before the first)
     * @param finishedAt when it finished (null while running)
     */
    public record Progress(boolean running, long checked, long rewritten, long failed, Instant startedAt,
            Instant finishedAt) {
    }

    private static final Logger log = LoggerFactory.getLogger(Reencryption.class);
    private static final String REKEY_PREFIX = PendingUploads.RESERVED_PREFIX + "rekey-";

    private final Path root;
    private final StorageKeys keys;
    private volatile Progress progress = new Progress(false, 0, 0, 0, null, null);

    Reencryption(Path root, StorageKeys keys) {
        this.root = root;
        this.keys = keys;
    }

    public Progress progress() {
        return progress;
    }

    /** Starts a pass on the executor; false if one is already running. */
    public synchronized boolean start(Executor executor) {
        if (progress.running()) {
            return false;
        }
        progress = new Progress(true, 0, 0, 0, Instant.now(), null);
        executor.execute(this::run);
        return true;
    }

    private void run() {
        long[] counts = new long[3];
        Instant started = progress.startedAt();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(root) && PendingUploads.isReserved(dir.getFileName().toString())
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (!attrs.isRegularFile() || PendingUploads.isReserved(file.getFileName().toString())) {
                        return FileVisitResult.CONTINUE;
                    }
                    counts[0]++;
                    try {
                        if (rewrite(file, attrs)) {
                            counts[1]++;
                        }
                    } catch (IOException | RuntimeException e) {
                        counts[2]++;
                        log.warn("Cannot re-encrypt {}: {}", root.relativize(file), e.getMessage());
                    }
                    progress = new Progress(true, counts[0], counts[1], counts[2], started, null);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    counts[2]++;
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | RuntimeException e) {
            log.error("Re-encryption stopped: {}", e.getMessage());
        } finally {
            progress = new Progress(false, counts[0], counts[1], counts[2], started, Instant.now());
            log.info("Re-encryption pass done: {} checked, {} rewritten with key {}, {} failed", counts[0],
                    counts[1], keys.activeId(), counts[2]);
        }
    }

    private boolean rewrite(Path file, BasicFileAttributes before) throws IOException {
        Path temp = file.resolveSibling(REKEY_PREFIX + Long.toHexString(System.nanoTime()));
        try (FileChannel source = FileChannel.open(file, StandardOpenOption.READ)) {
            boolean encrypted = EncryptedFormat.isEncrypted(source);
            if (encrypted && EncryptedFormat.readHeader(source, keys).keyId.equals(keys.activeId())) {
                return false;
            }
            SeekableByteChannel plain = encrypted ? new EncryptedReadChannel(source, keys) : source;
            try (FileChannel target = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                EncryptedWriter writer = EncryptedWriter.create(target, keys);
                ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
                plain.position(0);
                while (plain.read(buffer.clear()) > 0) {
                    writer.write(buffer.flip());
                }
                writer.finish();
                target.force(true);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        try {
            BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
            if (now.size() != before.size() || !now.lastModifiedTime().equals(before.lastModifiedTime())) {
                return false; // changed meanwhile; the next pass looks at it again
            }
            Files.setLastModifiedTime(temp, FileTime.from(before.lastModifiedTime().toInstant()));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
