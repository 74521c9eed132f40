package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The SHA-256 of content read from a channel: one way for every place that hashes what is stored. */
public final class Sha256 {

    private Sha256() {
    }

    /** A new SHA-256 digest (the JDK always has one). */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The SHA-256 (lower-case hex) of the bytes of {@code channel} from {@code from} up to {@code to} or its end,
     * whichever comes first; moves the channel's position.
     */
    public static String of(SeekableByteChannel channel, long from, long to) throws IOException {
        MessageDigest digest = digest();
        ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
        long position = from;
        while (position < to) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), to - position));
            channel.position(position);
            int read = channel.read(buffer);
            if (read < 0) {
                break;
            }
            digest.update(buffer.flip());
            position += read;
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
