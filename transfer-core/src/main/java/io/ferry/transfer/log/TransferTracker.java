package io.ferry.transfer.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Counts and hashes the bytes one transfer moves, as they stream, so the transfer log gets the SHA-256 without a
 * second read. Protocol clients normally read and write in order; if one jumps (out-of-order writes, a read that
 * skips ahead) the tracker falls back to hashing the touched range from the file when the transfer ends.
 */
public final class TransferTracker {

    private final Direction direction;
    private final Instant startedAt = Instant.now();
    private final MessageDigest digest;
    private long firstOffset = -1;
    private long nextOffset = -1;
    private long endOffset;
    private long bytes;
    private boolean sequential = true;

    public TransferTracker(Direction direction) {
        this.direction = direction;
        try {
            this.digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
        }
        if (offset != nextOffset) {
            sequential = false;
        }
        if (sequential) {
            digest.update(data.duplicate());
        }
        bytes += length;
        nextOffset = offset + length;
        endOffset = Math.max(endOffset, nextOffset);
        firstOffset = Math.min(firstOffset, offset);
    }

    public Direction direction() {
        return direction;
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
        if (sequential) {
            try {
                return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }
        MessageDigest again;
        try {
            again = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
        long position = startOffset();
        while (position < endOffset) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), endOffset - position));
            file.position(position);
            int read = file.read(buffer);
            if (read < 0) {
                break;
            }
            buffer.flip();
            again.update(buffer);
            position += read;
        }
        return HexFormat.of().formatHex(again.digest());
    }
}
