package io.ferry.common.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.Random;

import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/** Ferry's Poly1305 against RFC 8439 and, on random keys, messages and chunkings, BouncyCastle's. */
class Poly1305MacTest {

    private final Random random = new Random(5);

    @Test
    void shouldGiveRfc8439sTag() {
        byte[] key = HexFormat.of().parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] message = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Poly1305Mac mac = new Poly1305Mac();
        mac.init(key);
        mac.update(message, 0, message.length);
        byte[] tag = new byte[16];
        mac.doFinal(tag, 0);
        assertThat(HexFormat.of().formatHex(tag)).isEqualTo("a8061dc1305136c6c22b8baf0c0127a9");
    }

    @Test
    void shouldEqualBouncyCastlesForAnyKeyMessageAndChunking() {
        Poly1305Mac ours = new Poly1305Mac();
        Poly1305 theirs = new Poly1305();
        int[] lengths = {0, 1, 4, 15, 16, 17, 31, 32, 33, 100, 1000, 4096, 32_768 + 7};
        for (int round = 0; round < 300; round++) {
            byte[] key = bytes(32);
            if (round % 3 == 0) {
                java.util.Arrays.fill(key, 0, 16, (byte) 0xFF); // r at its clamped maximum
            }
            if (round % 5 == 0) {
                java.util.Arrays.fill(key, 16, 32, (byte) 0xFF); // s carrying through both halves
            }
            int length = lengths[round % lengths.length];
            byte[] message = bytes(length);
            if (round % 4 == 0) {
                java.util.Arrays.fill(message, (byte) 0xFF); // accumulator near its largest
            }
            ours.init(key);
            theirs.init(new KeyParameter(key));
            int at = 0;
            while (at < length) { // feed in uneven pieces, as the SSH cipher does (4-byte length, then payload)
                int piece = Math.min(length - at, round % 2 == 0 ? 4 + random.nextInt(40) : length);
                ours.update(message, at, piece);
                theirs.update(message, at, piece);
                at += piece;
            }
            byte[] expected = new byte[16];
            theirs.doFinal(expected, 0);
            byte[] tag = new byte[16];
            ours.doFinal(tag, 0);
            assertThat(tag).as("round %d, length %d", round, length).isEqualTo(expected);
        }
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
