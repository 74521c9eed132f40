package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Appends plaintext to an encrypted file, sealing a segment each time one fills. A resumed file is first brought
 * back to a segment boundary: its last segment (final or not, as an earlier finish or suspend left it) is opened
 * into the buffer and cut off; a torn last segment (a crash mid-write) is cut off and its bytes are sent again by
 * the client, which resumes from {@link #size()}.
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
    private CompletableFuture<byte[]> lastWrite = CompletableFuture.completedFuture(null);
    private int buffered;
    private long nextIndex;
    private long end;
    /** Once a write failed, the file may hold a torn segment: nothing more is written after it. */
    private IOException failed;

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

    /** An existing encrypted file, to be continued; one too short to hold a header is started afresh. */
    static EncryptedWriter resume(FileChannel file, StorageKeys keys) throws IOException {
        if (file.size() < EncryptedFormat.MIN_HEADER) {
            return create(file, keys);
        }
        EncryptedWriter writer = new EncryptedWriter(file, EncryptedFormat.readHeader(file, keys));
        Tail tail = Tail.of(file, writer.header);
        System.arraycopy(tail.plain, 0, writer.buffer, 0, tail.plainLength);
        writer.buffered = tail.plainLength;
        writer.nextIndex = tail.fullSegments;
        writer.end = writer.header.offsetOf(tail.fullSegments);
        file.truncate(writer.end);
        return writer;
    }

    /** The plaintext size an interrupted upload can be resumed from, without changing the file. */
    static long resumableSize(FileChannel file, StorageKeys keys) throws IOException {
        if (file.size() < EncryptedFormat.MIN_HEADER) {
            return 0;
        }
        EncryptedFormat.Header header = EncryptedFormat.readHeader(file, keys);
        Tail tail = Tail.of(file, header);
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
    public void finish() throws IOException {
        ensureHealthy();
        append(true);
        awaitWrites(0);
    }

    /** After a failed write, writes nothing: a resume cuts the torn tail off and starts after the last good one. */
    @Override
    public void suspend() throws IOException {
        if (failed != null) {
            return;
        }
        if (buffered > 0) {
            append(false);
        }
        awaitWrites(0);
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
    private static final class Tail {
        long fullSegments;
        byte[] plain;
        int plainLength;

        /** Segments checked before the tail: more than the data a crash can leave unsynced (see Flusher). */
        static final long VERIFIED = 4 * Flusher.EVERY / EncryptedFormat.SEGMENT;

        static Tail of(FileChannel file, EncryptedFormat.Header header) throws IOException {
            Tail tail = new Tail();
            tail.plain = new byte[header.segmentSize];
            long body = file.size() - header.length();
            long count = body / header.cipherSegment();
            int rest = (int) (body % header.cipherSegment());
            byte[] sealed = new byte[header.cipherSegment()];
            // A crash can leave any of the last unsynced segments torn or zero, not only the very last: keep
            // the whole segments up to the first that does not open.
            tail.fullSegments = count;
            for (long i = Math.max(0, count - VERIFIED); i < count; i++) {
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
