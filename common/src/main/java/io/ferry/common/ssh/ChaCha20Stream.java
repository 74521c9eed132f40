package io.ferry.common.ssh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;

import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ChaCha20 key stream XORed over a packet's payload, from block 1 on. Two implementations: the JDK's cipher
 * (an AVX2/AVX-512 intrinsic from Java 20 on, pure Java before) and, on Java 17 to 19 when the JVM is started with
 * {@code --add-modules jdk.incubator.vector} on a CPU with 512-bit vectors (AVX-512), {@link VectorChaCha20}, which
 * computes 16 blocks at a time in SIMD lanes (docs/adr/0002). The choice is made once, after a known-answer test.
 */
interface ChaCha20Stream {

    /**
     * XORs {@code length} bytes of {@code data} at {@code offset}, in place, with the key stream of {@code key}
     * (8 little-endian words) and nonce words {@code n0..n2}, starting at block {@code counter}.
     */
    void xor(int[] key, int counter, int n0, int n1, int n2, byte[] data, int offset, int length);

    /** A new stream object, one per cipher direction (they keep scratch state). */
    static ChaCha20Stream create() {
        return Choice.VECTOR ? new VectorChaCha20() : new Jdk();
    }

    /** Which implementation {@link #create()} gives, for the log and the docs. */
    static String implementation() {
        return Choice.VECTOR ? "vector (jdk.incubator.vector, 16 blocks per step)" : "JDK ChaCha20";
    }

    /** The JDK's {@code ChaCha20} cipher. */
    final class Jdk implements ChaCha20Stream {

        private static final VarHandle LE_INT = MethodHandles.byteArrayViewVarHandle(int[].class,
                ByteOrder.LITTLE_ENDIAN);

        private final Cipher cipher;
        private final byte[] keyBytes = new byte[32];
        private final byte[] nonce = new byte[12];

        Jdk() {
            try {
                cipher = Cipher.getInstance("ChaCha20");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20 is not available", e);
            }
        }

        @Override
        public void xor(int[] key, int counter, int n0, int n1, int n2, byte[] data, int offset, int length) {
            for (int i = 0; i < 8; i++) {
                LE_INT.set(keyBytes, i * 4, key[i]);
            }
            LE_INT.set(nonce, 0, n0);
            LE_INT.set(nonce, 4, n1);
            LE_INT.set(nonce, 8, n2);
            try {
                cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keyBytes, "ChaCha20"),
                        new ChaCha20ParameterSpec(nonce, counter));
                cipher.doFinal(data, offset, length, data, offset);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("ChaCha20 failed", e);
            }
        }
    }

    /** Decides once whether the vector implementation is usable here. */
    final class Choice {

        private static final Logger log = LoggerFactory.getLogger(ChaCha20Stream.class);

        static final boolean VECTOR = vectorUsable();

        private Choice() {
        }

        private static boolean vectorUsable() {
            if (Runtime.version().feature() >= 20
                    || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                return false;
            }
            try {
                return knownAnswer(new VectorChaCha20());
            } catch (LinkageError | RuntimeException e) {
                log.info("ChaCha20: the vector implementation is not usable here ({}); using the JDK's", e.toString());
                return false;
            }
        }

        /** RFC 8439 section 2.4.2's test vector, and a longer stream checked against the JDK's cipher. */
        static boolean knownAnswer(ChaCha20Stream stream) {
            int[] key = new int[8];
            for (int i = 0; i < 8; i++) {
                int b = i * 4;
                key[i] = b | (b + 1) << 8 | (b + 2) << 16 | (b + 3) << 24;
            }
            byte[] text = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
                    + " sunscreen would be it.").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            stream.xor(key, 1, 0, 0x4a000000, 0, text, 0, text.length);
            if (!java.util.HexFormat.of().formatHex(text, 0, 16).equals("6e2e359a2568f98041ba0728dd0d6981")) {
                return false;
            }
            byte[] long1 = new byte[5000 + 13];
            byte[] long2 = new byte[long1.length];
            for (int i = 0; i < long1.length; i++) {
                long1[i] = (byte) (i * 31);
                long2[i] = long1[i];
            }
            stream.xor(key, 1, 0, 7, 9, long1, 3, long1.length - 3);
            new Jdk().xor(key, 1, 0, 7, 9, long2, 3, long2.length - 3);
            return java.util.Arrays.equals(long1, long2);
        }
    }
}
