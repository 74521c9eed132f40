package io.ferry.common.ssh;

/**
 * The ChaCha20 block function (RFC 8439, section 2.3) for one 64-byte block, in plain Java. The SSH cipher needs
 * single blocks twice per packet (the packet length's key stream and the Poly1305 key); the payload goes through
 * a {@link ChaCha20Stream}.
 */
final class ChaCha20Block {

    static final int SIGMA0 = 0x61707865;
    static final int SIGMA1 = 0x3320646e;
    static final int SIGMA2 = 0x79622d32;
    static final int SIGMA3 = 0x6b206574;

    private ChaCha20Block() {
    }

    /**
     * Writes block {@code counter} of the key stream for {@code key} (8 little-endian words) and the nonce words
     * {@code n0..n2} into {@code out} (16 words).
     */
    static void block(int[] key, int counter, int n0, int n1, int n2, int[] out) {
        int x0 = SIGMA0, x1 = SIGMA1, x2 = SIGMA2, x3 = SIGMA3;
        int x4 = key[0], x5 = key[1], x6 = key[2], x7 = key[3];
        int x8 = key[4], x9 = key[5], x10 = key[6], x11 = key[7];
        int x12 = counter, x13 = n0, x14 = n1, x15 = n2;
        for (int round = 0; round < 10; round++) {
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 16); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 12);
            x0 += x4; x12 = Integer.rotateLeft(x12 ^ x0, 8); x8 += x12; x4 = Integer.rotateLeft(x4 ^ x8, 7);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 16); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 12);
            x1 += x5; x13 = Integer.rotateLeft(x13 ^ x1, 8); x9 += x13; x5 = Integer.rotateLeft(x5 ^ x9, 7);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 16); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 12);
            x2 += x6; x14 = Integer.rotateLeft(x14 ^ x2, 8); x10 += x14; x6 = Integer.rotateLeft(x6 ^ x10, 7);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 16); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 12);
            x3 += x7; x15 = Integer.rotateLeft(x15 ^ x3, 8); x11 += x15; x7 = Integer.rotateLeft(x7 ^ x11, 7);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 16); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 12);
            x0 += x5; x15 = Integer.rotateLeft(x15 ^ x0, 8); x10 += x15; x5 = Integer.rotateLeft(x5 ^ x10, 7);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 16); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 12);
            x1 += x6; x12 = Integer.rotateLeft(x12 ^ x1, 8); x11 += x12; x6 = Integer.rotateLeft(x6 ^ x11, 7);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 16); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 12);
            x2 += x7; x13 = Integer.rotateLeft(x13 ^ x2, 8); x8 += x13; x7 = Integer.rotateLeft(x7 ^ x8, 7);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 16); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 12);
            x3 += x4; x14 = Integer.rotateLeft(x14 ^ x3, 8); x9 += x14; x4 = Integer.rotateLeft(x4 ^ x9, 7);
        }
        out[0] = x0 + SIGMA0;
        out[1] = x1 + SIGMA1;
        out[2] = x2 + SIGMA2;
        out[3] = x3 + SIGMA3;
        out[4] = x4 + key[0];
        out[5] = x5 + key[1];
        out[6] = x6 + key[2];
        out[7] = x7 + key[3];
        out[8] = x8 + key[4];
        out[9] = x9 + key[5];
        out[10] = x10 + key[6];
        out[11] = x11 + key[7];
        out[12] = x12 + counter;
        out[13] = x13 + n0;
        out[14] = x14 + n1;
        out[15] = x15 + n2;
    }

    /** XORs {@code length} (at most 64) bytes at {@code offset} with the little-endian bytes of {@code block}. */
    static void xor(int[] block, byte[] data, int offset, int length) {
        for (int i = 0; i < length; i++) {
            data[offset + i] ^= (byte) (block[i >>> 2] >>> ((i & 3) << 3));
        }
    }

    /** The little-endian bytes of {@code block}'s first {@code length} bytes. */
    static void bytes(int[] block, byte[] out, int length) {
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (block[i >>> 2] >>> ((i & 3) << 3));
        }
    }
}
