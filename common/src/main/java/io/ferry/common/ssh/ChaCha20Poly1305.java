package io.ferry.common.ssh;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;

import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.cipher.CipherFactory;

/**
 * {@code chacha20-poly1305@openssh.com} (OpenSSH's PROTOCOL.chacha20poly1305) on a {@link ChaCha20Stream} for the
 * payload (the JDK's cipher, or 16 blocks at a time with the Vector API on Java 17-19) and {@link Poly1305Mac},
 * in place of MINA's own ChaCha20, which XORs its key stream a byte at a time (docs/adr/0002). The packet length
 * and the Poly1305 key take one block each, computed in plain Java.
 *
 * <p>The 64-byte key is K_2 (payload, first half) and K_1 (packet length, second half). The nonce is the packet's
 * sequence number as 8 big-endian bytes; RFC 8439's ChaCha20 takes it as a 12-byte nonce whose first 4 bytes
 * (the high half of OpenSSH's 64-bit block counter) are zero, which is the same state as long as a packet has
 * fewer than 2^32 blocks. Block 0 of K_2 gives the Poly1305 key, block 1 on encrypts the payload; the tag
 * covers the encrypted length and the encrypted payload.
 */
final class ChaCha20Poly1305 implements Cipher {

    static final String NAME = "chacha20-poly1305@openssh.com";

    static final CipherFactory FACTORY = new CipherFactory() {
        @Override
        public String getName() {
            return NAME;
        }

        @Override
        public Cipher create() {
            return new ChaCha20Poly1305();
        }

        @Override
        public boolean isSupported() {
            try {
                javax.crypto.Cipher.getInstance("ChaCha20");
                return true;
            } catch (GeneralSecurityException e) {
                return false;
            }
        }

        @Override
        public String getAlgorithm() {
            return "ChaCha20";
        }

        @Override
        public String getTransformation() {
            return "ChaCha20";
        }

        @Override
        public int getIVSize() {
            return 8;
        }

        @Override
        public int getAuthenticationTagSize() {
            return 16;
        }

        @Override
        public int getCipherBlockSize() {
            return 8;
        }

        @Override
        public int getKdfSize() {
            return 64;
        }

        @Override
        public int getKeySize() {
            return 512;
        }

        @Override
        public String toString() {
            return NAME;
        }
    };

    private static final int TAG = 16;

    private final ChaCha20Stream payloadStream = ChaCha20Stream.create();
    private final Poly1305Mac mac = new Poly1305Mac();
    private final int[] payloadKey = new int[8];
    private final int[] lengthKey = new int[8];
    private final int[] block = new int[16];
    private final byte[] polyKey = new byte[32];
    private final byte[] tag = new byte[TAG];
    private Mode mode;
    private long sequence;
    private long initialSequence;
    /** The nonce's last word: the sequence number's low 32 bits, big-endian, read as a little-endian word. */
    private int nonceWord;

    @Override
    public void init(Mode mode, byte[] key, byte[] iv) throws Exception {
        if (key.length < 64 || iv.length < 8) {
            throw new IllegalArgumentException("chacha20-poly1305 needs a 64-byte key and an 8-byte sequence number");
        }
        this.mode = mode;
        for (int i = 0; i < 8; i++) {
            payloadKey[i] = readLeInt(key, i * 4);
            lengthKey[i] = readLeInt(key, 32 + i * 4);
        }
        long high = readUInt(iv, 0);
        if (high != 0) {
            throw new IllegalArgumentException("chacha20-poly1305: not an SSH packet sequence number");
        }
        initialSequence = readUInt(iv, 4);
        sequence = initialSequence;
        startPacket();
    }

    /** Sets the nonce to the current sequence number and derives the packet's Poly1305 key (block 0 of K_2). */
    private void startPacket() {
        nonceWord = Integer.reverseBytes((int) sequence);
        ChaCha20Block.block(payloadKey, 0, 0, 0, nonceWord, block);
        ChaCha20Block.bytes(block, polyKey, 32);
        mac.init(polyKey);
    }

    /** The 4-byte packet length: encrypted with K_1, and covered by the tag in its encrypted form. */
    @Override
    public void updateAAD(byte[] data, int offset, int length) throws Exception {
        if (mode == null) {
            throw new IllegalStateException("cipher not initialised");
        }
        if (length != 4) {
            throw new IllegalArgumentException("chacha20-poly1305: only the 4-byte packet length is additional data");
        }
        if (mode == Mode.Decrypt) {
            mac.update(data, offset, length);
        }
        ChaCha20Block.block(lengthKey, 0, 0, 0, nonceWord, block);
        ChaCha20Block.xor(block, data, offset, length);
        if (mode == Mode.Encrypt) {
            mac.update(data, offset, length);
        }
    }

    /** The payload, in place; the tag follows it in {@code input} (written on encrypt, checked on decrypt). */
    @Override
    public void update(byte[] input, int offset, int length) throws Exception {
        if (mode == null) {
            throw new IllegalStateException("cipher not initialised");
        }
        if (mode == Mode.Decrypt) {
            mac.update(input, offset, length);
            mac.doFinal(tag, 0);
            if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(input, offset + length, offset + length + TAG))) {
                throw new AEADBadTagException("chacha20-poly1305: tag mismatch");
            }
        }
        payloadStream.xor(payloadKey, 1, 0, 0, nonceWord, input, offset, length);
        if (mode == Mode.Encrypt) {
            mac.update(input, offset, length);
            mac.doFinal(input, offset + length);
        }
        sequence = (sequence + 1) & 0xFFFF_FFFFL;
        if (sequence == initialSequence) {
            throw new IllegalStateException("chacha20-poly1305: sequence number reused under one key");
        }
        startPacket();
    }

    private static int readLeInt(byte[] b, int offset) {
        return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8 | (b[offset + 2] & 0xFF) << 16
                | (b[offset + 3] & 0xFF) << 24;
    }

    private static long readUInt(byte[] b, int offset) {
        return ((b[offset] & 0xFFL) << 24) | ((b[offset + 1] & 0xFFL) << 16) | ((b[offset + 2] & 0xFFL) << 8)
                | (b[offset + 3] & 0xFFL);
    }

    @Override
    public String getAlgorithm() {
        return FACTORY.getAlgorithm();
    }

    @Override
    public String getTransformation() {
        return FACTORY.getTransformation();
    }

    @Override
    public int getIVSize() {
        return FACTORY.getIVSize();
    }

    @Override
    public int getAuthenticationTagSize() {
        return FACTORY.getAuthenticationTagSize();
    }

    @Override
    public int getCipherBlockSize() {
        return FACTORY.getCipherBlockSize();
    }

    @Override
    public int getKdfSize() {
        return FACTORY.getKdfSize();
    }

    @Override
    public int getKeySize() {
        return FACTORY.getKeySize();
    }

    @Override
    public String toString() {
        return NAME;
    }
}
