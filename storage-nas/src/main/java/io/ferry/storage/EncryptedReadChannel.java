package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads the plaintext of a finished encrypted file at any position, one authenticated segment at a time. Any
 * alteration or truncation surfaces as an {@link IOException}; unauthenticated bytes are never returned.
 *
 * <p>A sequential reader gets the next {@link #AHEAD} segments read and decrypted on background threads while it
 * consumes the current one, so decryption overlaps the disk (and, in a download, the protocol's own encryption).
 */
final class EncryptedReadChannel implements SeekableByteChannel {

    static final int AHEAD = 2;

    private static final ExecutorService READ_AHEAD = Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()), runnable -> {
                Thread thread = new Thread(runnable, "storage-read-ahead");
                thread.setDaemon(true);
                return thread;
            });

    /** One segment's buffers, and the background work filling them. */
    private final class Slot {
        long index = -1;
        // a file smaller than a segment needs no segment-sized buffers (most files of an EDI workload are small)
        final byte[] sealed = new byte[(int) Math.min(header.cipherSegment(), sealedBytes)];
        final byte[] plain = new byte[(int) Math.min(header.segmentSize, size)];
        int plainLength = -1;
        Future<?> task;

        /** Reads and opens segment {@code index}; plainLength stays -1 when it does not authenticate. */
        void fill(long segment) throws IOException {
            index = segment;
            plainLength = -1;
            // never more than the file held when it was opened (it does not grow: files are read once complete)
            int length = (int) Math.min(sealed.length, file.size() - header.offsetOf(segment));
            EncryptedFormat.readFully(file, ByteBuffer.wrap(sealed, 0, length), header.offsetOf(segment));
            plainLength = header.open(segment, segment == lastIndex, sealed, length, plain);
        }

        /** Waits for background work on this slot; true if it filled the slot successfully. */
        boolean settle() {
            if (task == null) {
                return plainLength >= 0;
            }
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        task.get(); // uninterruptibly: the fill writes into this slot's buffers
                        return plainLength >= 0;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } catch (ExecutionException e) {
                index = -1; // done again in the foreground, where the error is reported
                return false;
            } finally {
                task = null;
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private final FileChannel file;
    private final EncryptedFormat.Header header;
    private final long size;
    private final long lastIndex;
    private final long sealedBytes;
    private final Slot[] slots = new Slot[AHEAD + 1];
    private Slot current;
    private long position;

    EncryptedReadChannel(FileChannel file, StorageKeys keys) throws IOException {
        this.file = file;
        this.header = EncryptedFormat.readHeader(file, keys);
        this.size = EncryptedFormat.plaintextSize(header, file.size());
        this.lastIndex = size / header.segmentSize;
        this.sealedBytes = Math.max(0, file.size() - header.offsetOf(0));
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (position >= size) {
            // the final segment must authenticate even when the reader only asks for the end
            if (position == size && (current == null || current.index != lastIndex)) {
                load(lastIndex);
            }
            return -1;
        }
        int total = 0;
        while (dst.hasRemaining() && position < size) {
            long index = position / header.segmentSize;
            if (current == null || current.index != index) {
                load(index);
            }
            int offset = (int) (position - index * header.segmentSize);
            int n = Math.min(dst.remaining(), current.plainLength - offset);
            dst.put(current.plain, offset, n);
            position += n;
            total += n;
        }
        return total;
    }

    private void load(long index) throws IOException {
        Slot slot = slotFor(index);
        if (slot == null || !slot.settle() || slot.index != index) {
            slot = spareSlot(index);
            slot.settle();
            slot.fill(index);
        }
        current = slot;
        if (slot.plainLength < 0) {
            current = null;
            throw new IOException("integrity check failed: the stored file was altered or truncated (segment "
                    + index + ")");
        }
        for (long next = index + 1; next <= Math.min(lastIndex, index + AHEAD); next++) {
            if (slotFor(next) == null) {
                Slot ahead = spareSlot(index);
                ahead.settle();
                long segment = next;
                ahead.index = segment;
                ahead.plainLength = -1;
                ahead.task = READ_AHEAD.submit(() -> {
                    ahead.fill(segment);
                    return null;
                });
            }
        }
    }

    private Slot slotFor(long index) {
        for (Slot slot : slots) {
            if (slot != null && slot.index == index) {
                return slot;
            }
        }
        return null;
    }

    /** A slot not holding the current segment nor one ahead of {@code index} that is still useful. */
    private Slot spareSlot(long index) {
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] == null) {
                slots[i] = new Slot();
                return slots[i];
            }
        }
        for (Slot slot : slots) {
            if (slot != current && (slot.index <= index || slot.index > index + AHEAD)) {
                return slot;
            }
        }
        return slots[0] == current ? slots[1] : slots[0];
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
        if (newPosition < 0) {
            throw new IllegalArgumentException("negative position");
        }
        this.position = newPosition;
        return this;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return file.isOpen();
    }

    @Override
    public void close() throws IOException {
        for (Slot slot : slots) {
            if (slot != null) {
                slot.settle();
            }
        }
        file.close();
    }
}
