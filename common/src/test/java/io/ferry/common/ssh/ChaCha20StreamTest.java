package io.ferry.common.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The key-stream implementations against each other and RFC 8439. The build runs the tests with
 * {@code --add-modules jdk.incubator.vector}, so on Java 17-19 the vector one is the one in use.
 */
class ChaCha20StreamTest {

    private final Random random = new Random(11);

    @Test
    void shouldPickTheVectorImplementationWhereItsApiExists() {
        boolean vectorApi = Runtime.version().feature() < 20
                && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
                && jdk.incubator.vector.IntVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
        assertThat(ChaCha20Stream.create()).isInstanceOf(vectorApi ? VectorChaCha20.class : ChaCha20Stream.Jdk.class);
        assertThat(ChaCha20Stream.implementation()).contains(vectorApi ? "vector" : "JDK");
    }

    @Test
    void shouldPassRfc8439KnownAnswerTests() {
        assertThat(ChaCha20Stream.Choice.knownAnswer(new ChaCha20Stream.Jdk())).isTrue();
        if (ChaCha20Stream.create() instanceof VectorChaCha20 vector) {
            assertThat(ChaCha20Stream.Choice.knownAnswer(vector)).isTrue();
        }
    }

    @Test
    void vectorStreamShouldEqualTheJdksForEveryLengthOffsetAndCounter() {
        if (!(ChaCha20Stream.create() instanceof VectorChaCha20 vector)) {
            assertThat(ChaCha20Stream.create()).isInstanceOf(ChaCha20Stream.Jdk.class); // what this JVM uses
            return;
        }
        ChaCha20Stream jdk = new ChaCha20Stream.Jdk();
        int[] lengths = {0, 1, 3, 63, 64, 65, 127, 1023, 1024, 1025, 1088, 2048 + 17, 32_768, 131_072 + 5};
        for (int length : lengths) {
            for (int counter : new int[] {0, 1, 15, 16, 1000}) {
                int[] key = random.ints(8).toArray();
                int n0 = random.nextInt(), n1 = random.nextInt(), n2 = random.nextInt();
                int offset = random.nextInt(7);
                byte[] data = new byte[offset + length + 5];
                random.nextBytes(data);
                byte[] expected = data.clone();
                vector.xor(key, counter, n0, n1, n2, data, offset, length);
                jdk.xor(key, counter, n0, n1, n2, expected, offset, length);
                assertThat(data).as("length %d counter %d", length, counter).isEqualTo(expected);
            }
        }
    }

    @Test
    void singleBlockShouldEqualTheStreamsFirstBlock() {
        int[] key = random.ints(8).toArray();
        int[] block = new int[16];
        ChaCha20Block.block(key, 5, 1, 2, 3, block);
        byte[] fromBlock = new byte[64];
        ChaCha20Block.xor(block, fromBlock, 0, 64);
        byte[] fromStream = new byte[64];
        new ChaCha20Stream.Jdk().xor(key, 5, 1, 2, 3, fromStream, 0, 64);
        assertThat(fromBlock).isEqualTo(fromStream);
        byte[] bytes = new byte[32];
        ChaCha20Block.bytes(block, bytes, 32);
        assertThat(bytes).isEqualTo(Arrays.copyOf(fromStream, 32));
    }
}
