package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes plaintext to an encrypted file, sealing a segment each time one fills. A resumed file is first brought
 * back to a segment boundary: its last segment (final or not, as an earlier finish or suspend left it) is opened
 * into the buffer and cut off; a torn last segment (a crash mid-write) is cut off and its bytes are sent again by
 * the client, which resumes from {@link #size()}.
 *
 * <p>Random access: every segment but the last is on the file, complete and sealed as not final; the last is in the
 * buffer. A write, read or cut inside the buffer touches only the buffer. One inside an earlier segment opens it
 * (keeping it, so the next requests on it cost nothing more), patches it and seals it again, with a fresh nonce,
 * in its place when another segment is touched or the upload syncs, finishes or suspends. A gap is sealed as
 * zeros. No plaintext byte ever reaches the file.
 */
final class EncryptedWriter implements ContentWriter {

    private final FileChannel file;
    private final EncryptedFormat.Header header;
    /** Writes sealed segments in order while the upload's thread seals the next ones. */
    private static final ExecutorService WRITERS = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "storage-write");
        thread.setDaemon(true);
        return thread;
    });
    /** Sealed segments waiting to be written, per upload. */
    private static final int IN_FLIGHT = 4;

    private final byte[] buffer;
    private final Flusher flusher;
    private final Deque<CompletableFuture<byte[]>> writing = new ArrayDeque<>();
    private final Deque<byte[]> spare = new ArrayDeque<>();
    /** Volatile: {@link #settle()} waits for it from another thread. */
    private volatile CompletableFuture<byte[]> lastWrite = CompletableFuture.completedFuture(null);
    private int buffered;
    private long nextIndex;
    private long end;
    /** Once a write failed, the file may hold a torn segment: nothing more is written after it. */
    private IOException failed;
    /** An earlier segment opened for random access (-1: none), its plaintext, and whether it was changed. */
    private long openIndex = -1;
    private byte[] opened;
    private boolean openChanged;
    /**
     * Segments sealed again in one upload (a rewrite of an earlier segment, a sync of the open one) are at most
     * this many. Each sealing draws a fresh 56-bit nonce part for the same key and index, so the chance that two
     * repeat grows with their square (2^-25 at this bound); the bound also caps what a client's small writes
     * alternating between segments cost (a segment opened and sealed again each time).
     */
    static final int MAX_RESEALS = 65_536;
    private int reseals;
    /** Zeros for gaps: only ever read. */
    private static final byte[] ZEROS = new byte[64 * 1024];

    private EncryptedWriter(FileChannel file, EncryptedFormat.Header header) {
        this.file = file;
        this.header = header;
        this.buffer = new byte[header.segmentSize];
        this.flusher = new Flusher(file);
    }

    /** A new, empty file: writes the header. */
    static EncryptedWriter create(FileChannel file, StorageKeys keys) throws IOException {
        EncryptedWriter writer = new EncryptedWriter(file, EncryptedFormat.newHeader(keys));
        file.truncate(0);
        file.write(ByteBuffer.wrap(writer.header.bytes), 0);
        writer.end = writer.header.length();
        return writer;
    }

    /**
     * An existing encrypted file, to be continued; one too short to hold a header is started afresh.
     *
     * @param rewritten segments were rewritten in place (a crash may have torn any of them, not only the last few):
     *                  every segment is checked, and the file is kept up to the first that does not open
     */
    static EncryptedWriter resume(FileChannel file, StorageKeys keys, boolean rewritten) throws IOException {
        if (file.size() < EncryptedFormat.MIN_HEADER) {
            return create(file, keys);
        }
        EncryptedWriter writer = new EncryptedWriter(file, EncryptedFormat.readHeader(file, keys));
        Tail tail = Tail.of(file, writer.header, rewritten);
        System.arraycopy(tail.plain, 0, writer.buffer, 0, tail.plainLength);
        writer.buffered = tail.plainLength;
        writer.nextIndex = tail.fullSegments;
        writer.end = writer.header.offsetOf(tail.fullSegments);
        file.truncate(writer.end);
        return writer;
    }

    /** The plaintext size an interrupted upload can be resumed from, without changing the file. */
    static long resumableSize(FileChannel file, StorageKeys keys, boolean rewritten) throws IOException {
        if (file.size() < EncryptedFormat.MIN_HEADER) {
            return 0;
        }
        EncryptedFormat.Header header = EncryptedFormat.readHeader(file, keys);
        Tail tail = Tail.of(file, header, rewritten);
        return tail.fullSegments * header.segmentSize + tail.plainLength;
    }

    @Override
    public long size() {
        return nextIndex * header.segmentSize + buffered;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        ensureHealthy();
        while (src.hasRemaining()) {
            if (buffered == 0 && src.hasArray() && src.remaining() >= buffer.length) {
                // a whole segment in the caller's array: sealed from there, without the copy into the buffer
                seal(src.array(), src.arrayOffset() + src.position(), buffer.length, false);
                src.position(src.position() + buffer.length);
                nextIndex++;
                continue;
            }
            int n = Math.min(src.remaining(), buffer.length - buffered);
            src.get(buffer, buffered, n);
            buffered += n;
            if (buffered == buffer.length) {
                append(false);
            }
        }
    }

    @Override
    public void write(ByteBuffer src, long position) throws IOException {
        ensureHealthy();
        if (position > size()) {
            zeros(position - size());
        }
        long at = position;
        while (src.hasRemaining() && at < size()) {
            long index = at / header.segmentSize;
            int within = (int) (at % header.segmentSize);
            int n = (int) Math.min(Math.min(src.remaining(), header.segmentSize - within), size() - at);
            if (index == nextIndex) {
                src.get(buffer, within, n);
            } else {
                src.get(segment(index), within, n);
                openChanged = true;
            }
            at += n;
        }
        write(src);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        ensureHealthy();
        long size = size();
        if (position >= size) {
            return -1;
        }
        int total = 0;
        long at = position;
        while (dst.hasRemaining() && at < size) {
            long index = at / header.segmentSize;
            int within = (int) (at % header.segmentSize);
            int n = (int) Math.min(Math.min(dst.remaining(), header.segmentSize - within), size - at);
            dst.put(index == nextIndex ? buffer : segment(index), within, n);
            at += n;
            total += n;
        }
        return total;
    }

    @Override
    public void truncate(long newSize) throws IOException {
        ensureHealthy();
        if (newSize >= size()) {
            zeros(newSize - size());
            return;
        }
        long keep = newSize / header.segmentSize;
        int rest = (int) (newSize % header.segmentSize);
        if (keep < nextIndex) {
            byte[] last = rest > 0 ? segment(keep) : null;
            if (last != null) {
                System.arraycopy(last, 0, buffer, 0, rest); // the cut segment becomes the buffered one
            }
            if (openIndex >= keep) {
                openIndex = -1; // cut off (its changes with it); segments before it keep theirs
                openChanged = false;
            }
            awaitWrites(0);
            nextIndex = keep;
            end = header.offsetOf(keep);
            try {
                file.truncate(end);
            } catch (IOException e) {
                throw failed(e);
            }
        }
        buffered = rest;
    }

    /**
     * Seals the buffered tail as a non-final segment where the next segment goes (the next write of that segment
     * overwrites it) and forces the file: a crash now leaves everything written so far resumable.
     */
    @Override
    public void sync() throws IOException {
        ensureHealthy();
        closeSegment();
        awaitWrites(0);
        try {
            long position = end;
            if (buffered > 0) {
                resealing();
                ByteBuffer sealed = header.seal(nextIndex, false, buffer, 0, buffered,
                        new byte[header.cipherSegment()]);
                while (sealed.hasRemaining()) {
                    position += file.write(sealed, position);
                }
            }
            if (file.size() > position) {
                file.truncate(position); // a longer tail an earlier sync sealed, since cut: never resumed from
            }
            file.force(false);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    @Override
    public boolean finish() throws IOException {
        ensureHealthy();
        closeSegment();
        append(true);
        awaitWrites(0);
        cutAtEnd();
        return true; // the final segment, marked as such
    }

    /** After a failed write, writes nothing: a resume cuts the torn tail off and starts after the last good one. */
    @Override
    public void suspend() throws IOException {
        if (failed != null) {
            return;
        }
        closeSegment();
        if (buffered > 0) {
            append(false);
        }
        awaitWrites(0);
        cutAtEnd();
    }

    /** Drops what a sync or a cut left past the last segment (a sealed tail longer than the final one). */
    private void cutAtEnd() throws IOException {
        try {
            if (file.size() > end) {
                file.truncate(end);
            }
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** Appends {@code count} zeros. */
    private void zeros(long count) throws IOException {
        long left = count;
        while (left > 0) {
            int n = (int) Math.min(left, ZEROS.length);
            write(ByteBuffer.wrap(ZEROS, 0, n).asReadOnlyBuffer());
            left -= n;
        }
    }

    /** The plaintext of earlier segment {@code index}, opened from the file (after closing the one open before). */
    private byte[] segment(long index) throws IOException {
        if (index == openIndex) {
            return opened;
        }
        closeSegment();
        awaitWrites(0);
        if (opened == null) {
            opened = new byte[header.segmentSize];
        }
        byte[] sealed = new byte[header.cipherSegment()];
        try {
            EncryptedFormat.readFully(file, ByteBuffer.wrap(sealed), header.offsetOf(index));
        } catch (IOException e) {
            throw failed(e);
        }
        if (header.open(index, false, sealed, sealed.length, opened) != header.segmentSize) {
            throw new IOException("segment " + index + " of the upload does not authenticate: it was changed on the "
                    + "storage");
        }
        openIndex = index;
        return opened;
    }

    /** Seals the open earlier segment again in its place, with a fresh nonce, if it was changed. */
    private void closeSegment() throws IOException {
        if (openIndex < 0 || !openChanged) {
            return;
        }
        resealing();
        try {
            ByteBuffer sealed = header.seal(openIndex, false, opened, 0, header.segmentSize,
                    new byte[header.cipherSegment()]);
            long position = header.offsetOf(openIndex);
            while (sealed.hasRemaining()) {
                position += file.write(sealed, position);
            }
        } catch (IOException e) {
            throw failed(e);
        }
        flusher.written(header.cipherSegment());
        openChanged = false;
    }

    /** Counts a sealing of a segment that was sealed before; refuses one past {@link #MAX_RESEALS}. */
    private void resealing() throws IOException {
        if (++reseals > MAX_RESEALS) {
            throw failed(new StorageException("an encrypted upload may rewrite its sealed segments at most " + MAX_RESEALS
                    + " times; upload the file anew"));
        }
    }

    private IOException failed(IOException e) {
        if (failed == null) {
            failed = e;
        }
        return e;
    }

    private void ensureHealthy() throws IOException {
        if (failed != null) {
            throw new IOException("an earlier write failed: " + failed.getMessage(), failed);
        }
    }

    /** Seals the buffer as segment {@code nextIndex} and appends it; a full buffer moves on to the next segment. */
    private void append(boolean last) throws IOException {
        seal(buffer, 0, buffered, last);
        if (buffered == buffer.length) {
            nextIndex++;
            buffered = 0;
        }
    }

    /** Seals {@code length} bytes of {@code plain} as segment {@code nextIndex} and queues its write. */
    private void seal(byte[] plain, int offset, int length, boolean last) throws IOException {
        awaitWrites(IN_FLIGHT - 1);
        byte[] target = spare.isEmpty() ? new byte[header.cipherSegment()] : spare.removeFirst();
        ByteBuffer sealed = header.seal(nextIndex, last, plain, offset, length, target);
        long at = end;
        int sealedLength = sealed.remaining();
        end += sealedLength;
        // one write after the other (a crash leaves a prefix of whole segments, never a hole), off this thread
        lastWrite = lastWrite.thenApplyAsync(previous -> {
            try {
                long position = at;
                while (sealed.hasRemaining()) {
                    position += file.write(sealed, position);
                }
            } catch (IOException e) {
                throw new CompletionException(e);
            }
            return target;
        }, WRITERS);
        writing.addLast(lastWrite);
        flusher.written(sealedLength);
    }

    @Override
    public long heldSize(long storedLength) {
        return EncryptedFormat.heldSize(header, storedLength);
    }

    @Override
    public void settle() {
        try {
            lastWrite.join();
        } catch (CompletionException | CancellationException e) {
            // a failed write: the look reads what is there, and the writer reports the failure
        }
    }

    /** Waits until at most {@code keep} segments are still being written; reports a failed write. */
    private void awaitWrites(int keep) throws IOException {
        while (writing.size() > keep) {
            try {
                spare.addLast(writing.removeFirst().join());
            } catch (CompletionException e) {
                // the writes queued behind this one were skipped; the upload cannot go on past the failure
                writing.clear();
                failed = e.getCause() instanceof IOException io ? io : new IOException("write failed", e.getCause());
                throw failed;
            }
        }
    }

    /** The end of an encrypted file: its complete non-final segments and the plaintext of a shorter last one. */
    static final class Tail {
        long fullSegments;
        byte[] plain;
        int plainLength;

        /** Segments checked before the tail: more than the data a crash can leave unsynced (see Flusher). */
        static final long VERIFIED = 4 * Flusher.EVERY / EncryptedFormat.SEGMENT;

        static Tail of(FileChannel file, EncryptedFormat.Header header, boolean checkAll) throws IOException {
            Tail tail = new Tail();
            tail.plain = new byte[header.segmentSize];
            long body = file.size() - header.length();
            long count = body / header.cipherSegment();
            int rest = (int) (body % header.cipherSegment());
            byte[] sealed = new byte[header.cipherSegment()];
            // A crash can leave any of the last unsynced segments torn or zero, not only the very last: keep
            // the whole segments up to the first that does not open.
            tail.fullSegments = count;
            for (long i = checkAll ? 0 : Math.max(0, count - VERIFIED); i < count; i++) {
                if (open(file, header, i, header.cipherSegment(), sealed, tail.plain, false) < 0) {
                    tail.fullSegments = i;
                    return tail;
                }
            }
            if (rest >= EncryptedFormat.OVERHEAD) {
                int n = open(file, header, count, rest, sealed, tail.plain, false);
                if (n < 0) {
                    n = open(file, header, count, rest, sealed, tail.plain, true);
                }
                // a torn last segment (n < 0) is dropped: the client sends those bytes again
                tail.plainLength = Math.max(n, 0);
            }
            return tail;
        }

        private static int open(FileChannel file, EncryptedFormat.Header header, long index, int length,
                byte[] sealed, byte[] plain, boolean last) throws IOException {
            EncryptedFormat.readFully(file, ByteBuffer.wrap(sealed, 0, length), header.offsetOf(index));
            return header.open(index, last, sealed, length, plain);
        }
    }
}
