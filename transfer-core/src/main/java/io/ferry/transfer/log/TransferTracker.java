package io.ferry.transfer.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.ferry.storage.Sha256;
import io.ferry.storage.StoredContent;
import io.ferry.storage.Upload;

/**
 * Counts and hashes the bytes one transfer moves, as they stream, so the transfer log gets the SHA-256 without a
 * second read. Protocol clients normally read and write in order; if a download jumps (a read that skips ahead) the
 * tracker falls back to hashing the range it sent from the file when the transfer ends. An upload written out of
 * order is hashed by the storage when it is published ({@link Upload#complete(String)}).
 *
 * <p>SHA-256 costs about as much CPU as the rest of an upload's path (~0.5 s per GiB with SHA-NI), so past its first
 * {@link #BATCH} bytes a transfer's bytes are copied into batches and hashed on a shared pool, one batch after the
 * other, while the protocol's thread goes on with the next request. At most {@link #IN_FLIGHT} batches wait per
 * transfer; a transfer that outruns its hashing waits for it.
 *
 * <p>A download of a file whose checksum the storage kept from its upload ({@link StoredContent#recordedSha256()})
 * is not hashed as it streams: when it turns out to have sent the whole file, in order, the kept checksum is the
 * hash of what it sent; otherwise the range it sent is hashed from the file at the end. A transfer that starts
 * past offset 0 (a resumed download) cannot use it and is hashed as it streams, as any other.
 */
public final class TransferTracker {

    static final int BATCH = 256 * 1024;
    static final int IN_FLIGHT = 4;
    private static final ExecutorService HASHERS = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), runnable -> {
                Thread thread = new Thread(runnable, "transfer-hash");
                thread.setDaemon(true);
                return thread;
            });

    private final Direction direction;
    private final Instant startedAt = Instant.now();
    private final MessageDigest digest;
    private long firstOffset = -1;
    private long nextOffset = -1;
    private long endOffset;
    private long bytes;
    private boolean sequential = true;
    /** Bytes copied for hashing, not handed to the pool yet; null while the transfer is hashed inline. */
    private byte[] batch;
    private int batched;
    private final Deque<CompletableFuture<byte[]>> hashing = new ArrayDeque<>();
    private final Deque<byte[]> spare = new ArrayDeque<>();
    private CompletableFuture<byte[]> lastHash = CompletableFuture.completedFuture(null);
    /** The whole file's checksum, kept by the storage, and its size; null when every byte is hashed. */
    private final String recordedSha256;
    private final long recordedSize;
    /** Whether the kept checksum may still answer: the transfer started at 0 (or has not started). */
    private boolean useRecorded;

    public TransferTracker(Direction direction) {
        this(direction, null, -1);
    }

    private TransferTracker(Direction direction, String recordedSha256, long recordedSize) {
        this.direction = direction;
        this.recordedSha256 = recordedSha256;
        this.recordedSize = recordedSize;
        this.useRecorded = recordedSha256 != null;
        this.digest = Sha256.digest();
    }

    /** A tracker for reading {@code content} (a download, or a delivery), using the checksum kept with it. */
    public static TransferTracker reading(Direction direction, StoredContent content) throws IOException {
        String recorded = content.recordedSha256();
        return recorded == null ? new TransferTracker(direction) : new TransferTracker(direction, recorded,
                content.size());
    }

    /**
     * Accounts for bytes moved at a position. {@code data} holds exactly the moved bytes between its position and
     * limit; it is not consumed.
     */
    public void moved(long offset, ByteBuffer data) {
        int length = data.remaining();
        if (length <= 0) {
            return;
        }
        if (firstOffset < 0) {
            firstOffset = offset;
            nextOffset = offset;
            useRecorded &= offset == 0;
        }
        if (offset != nextOffset) {
            sequential = false;
        }
        if (sequential && !useRecorded) {
            hash(data.duplicate());
        }
        bytes += length;
        nextOffset = offset + length;
        endOffset = Math.max(endOffset, nextOffset);
        firstOffset = Math.min(firstOffset, offset);
    }

    private void hash(ByteBuffer data) {
        if (batch == null && bytes + data.remaining() <= BATCH) {
            digest.update(data); // small files: a copy and a hand-over would cost more than the hash
            return;
        }
        while (data.hasRemaining()) {
            if (batch == null) {
                batch = spare.isEmpty() ? new byte[BATCH] : spare.removeFirst();
            }
            int n = Math.min(data.remaining(), BATCH - batched);
            data.get(batch, batched, n);
            batched += n;
            if (batched == BATCH) {
                submitBatch();
            }
        }
    }

    private void submitBatch() {
        awaitHashing(IN_FLIGHT - 1);
        byte[] full = batch;
        int length = batched;
        // chained: batches are hashed in order, each after the one before (which also orders the digest's state)
        lastHash = lastHash.thenApplyAsync(previous -> {
            digest.update(full, 0, length);
            return full;
        }, HASHERS);
        hashing.addLast(lastHash);
        batch = null;
        batched = 0;
    }

    private void awaitHashing(int keep) {
        while (hashing.size() > keep) {
            spare.addLast(hashing.removeFirst().join());
        }
    }

    public Direction direction() {
        return direction;
    }

    /** Whether every byte moved followed the one before (else the hash of the stream is not the range's). */
    public boolean sequential() {
        return sequential;
    }

    public Instant startedAt() {
        return startedAt;
    }

    /** Bytes moved (re-sent ranges count again). */
    public long bytes() {
        return bytes;
    }

    /** The offset of the first byte moved; 0 when nothing moved. */
    public long startOffset() {
        return Math.max(firstOffset, 0);
    }

    /**
     * The SHA-256 (hex) of the bytes from {@link #startOffset()} to the end of what was moved.
     *
     * @param file the file's content (readable, positionable), used only when the transfer was not sequential
     */
    public String sha256(SeekableByteChannel file) throws IOException {
        if (useRecorded) {
            if (sequential && startOffset() == 0 && endOffset == recordedSize) {
                return recordedSha256;
            }
            return hashFromFile(file); // cut short, or out of order: what was sent is hashed now
        }
        if (sequential) {
            awaitHashing(0);
            if (batched > 0) {
                digest.update(batch, 0, batched);
                batched = 0;
            }
            try {
                return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
        return hashFromFile(file);
    }

    /**
     * The SHA-256 of the whole file when this upload wrote every byte of it (from offset 0, the file new), for
     * {@link io.ferry.storage.Upload#complete(String)}; null otherwise. Asking {@link #sha256} afterwards gives the
     * same hash again.
     */
    public String wholeFileSha256(Upload upload) throws IOException {
        if (!sequential || upload.startSize() != 0 || startOffset() != 0 || bytes != upload.size()) {
            return null;
        }
        return sha256(upload);
    }

    private String hashFromFile(SeekableByteChannel file) throws IOException {
        return Sha256.of(file, startOffset(), endOffset);
    }

    /**
     * The transfer-log row for this transfer, ended now: what moved, from which offset, with which hash; a success
     * when {@code error} is null. One place for every protocol.
     */
    public TransferRecord toRecord(String node, String protocol, String sessionId, String account, String path,
            String sha256, String error, String clientAddress) {
        return toRecord(node, protocol, sessionId, account, path, sha256, error, clientAddress, startOffset());
    }

    /** As {@link #toRecord}, for a checksum of the content from {@code offset} (0: the whole published file). */
    public TransferRecord toRecord(String node, String protocol, String sessionId, String account, String path,
            String sha256, String error, String clientAddress, long offset) {
        return new TransferRecord(node, protocol, sessionId, account, path, direction, offset, bytes(), sha256,
                startedAt(), Instant.now(), error == null ? Outcome.SUCCESS : Outcome.FAILED, error, clientAddress);
    }
}
