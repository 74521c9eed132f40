package io.ferry.storage;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * Ferry's at-rest file format (docs/adr/0005): a header, then the plaintext in segments of {@link #SEGMENT} bytes,
 * each sealed with AES-256-GCM under a per-file key. Random access: a read at any offset decrypts one segment.
 * Resumable: an interrupted upload ends with non-final segments; only a finished file ends with a segment sealed as
 * final, so truncation at any point is detected.
 *
 * <pre>
 * header    = "FERRYENC" | version(1)=1 | keyIdLength(1) | keyId | segmentSize(4, big-endian) | salt(32)
 * fileKey   = HKDF-SHA256(storage key[keyId], salt, "ferry-storage-v1")
 * segment i = r(7) | AES-256-GCM(fileKey, nonce = r | i(4, big-endian) | last(1), aad = header)
 * </pre>
 *
 * <p>{@code r} is fresh randomness for every sealing. A resumed upload seals its last segment again with more data,
 * so the index and flag alone would repeat a nonce under the same key, which GCM must never do.
 */
final class EncryptedFormat {

    static final byte[] MAGIC = "FERRYENC".getBytes(StandardCharsets.US_ASCII);
    static final int SEGMENT = 256 * 1024;
    static final int TAG = 16;
    static final int NONCE_RANDOM = 7;
    /** Bytes a segment adds to its plaintext: its nonce randomness and the GCM tag. */
    static final int OVERHEAD = NONCE_RANDOM + TAG;
    /** The shortest possible header (a one-character key id). */
    static final int MIN_HEADER = 8 + 2 + 1 + 4 + 32;
    private static final byte VERSION = 1;
    private static final byte[] INFO = "ferry-storage-v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();
    /** One AES-GCM cipher per thread, re-initialised for each segment (Cipher.getInstance is not cheap). */
    private static final ThreadLocal<byte[]> NONCES = ThreadLocal.withInitial(() -> new byte[NONCE_RANDOM]);
    private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    });

    /** A parsed header and the file key it leads to. */
    static final class Header {
        final byte[] bytes;
        final String keyId;
        final int segmentSize;
        private final SecretKeySpec fileKey;

        private Header(byte[] bytes, String keyId, int segmentSize, byte[] salt, byte[] storageKey) {
            this.bytes = bytes;
            this.keyId = keyId;
            this.segmentSize = segmentSize;
            HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
            hkdf.init(new HKDFParameters(storageKey, salt, INFO));
            byte[] key = new byte[32];
            hkdf.generateBytes(key, 0, key.length);
            this.fileKey = new SecretKeySpec(key, "AES");
        }

        int length() {
            return bytes.length;
        }

        int cipherSegment() {
            return segmentSize + OVERHEAD;
        }

        /** Where segment {@code index} starts in the file. */
        long offsetOf(long index) {
            return bytes.length + index * cipherSegment();
        }

        /** This thread's cipher, initialised for one segment (readers open segments on several threads). */
        private Cipher cipher(int mode, byte[] random, int randomOffset, long index, boolean last) throws IOException {
            if (index < 0 || index > 0xFFFF_FFFFL) {
                throw new IOException("file too large for the encrypted format");
            }
            byte[] nonce = new byte[12];
            System.arraycopy(random, randomOffset, nonce, 0, NONCE_RANDOM);
            nonce[7] = (byte) (index >>> 24);
            nonce[8] = (byte) (index >>> 16);
            nonce[9] = (byte) (index >>> 8);
            nonce[10] = (byte) index;
            nonce[11] = (byte) (last ? 1 : 0);
            try {
                Cipher cipher = CIPHERS.get();
                cipher.init(mode, fileKey, new GCMParameterSpec(TAG * 8, nonce));
                cipher.updateAAD(bytes);
                return cipher;
            } catch (GeneralSecurityException e) {
                throw new IOException("AES-GCM is not available", e);
            }
        }

        /** Seals one segment's plaintext into {@code sealBuffer} (at least {@link #cipherSegment()} bytes). */
        ByteBuffer seal(long index, boolean last, byte[] plain, int offset, int length, byte[] sealBuffer)
                throws IOException {
            RANDOM.nextBytes(NONCES.get());
            System.arraycopy(NONCES.get(), 0, sealBuffer, 0, NONCE_RANDOM);
            try {
                int n = cipher(Cipher.ENCRYPT_MODE, sealBuffer, 0, index, last)
                        .doFinal(plain, offset, length, sealBuffer, NONCE_RANDOM);
                return ByteBuffer.wrap(sealBuffer, 0, NONCE_RANDOM + n);
            } catch (GeneralSecurityException e) {
                throw new IOException("encryption failed", e);
            }
        }

        /**
         * Opens one sealed segment into {@code out}.
         *
         * @return the plaintext length, or -1 if the segment does not authenticate as {@code last}
         */
        int open(long index, boolean last, byte[] sealed, int length, byte[] out) throws IOException {
            if (length < OVERHEAD) {
                return -1;
            }
            try {
                return cipher(Cipher.DECRYPT_MODE, sealed, 0, index, last)
                        .doFinal(sealed, NONCE_RANDOM, length - NONCE_RANDOM, out, 0);
            } catch (AEADBadTagException e) {
                return -1;
            } catch (GeneralSecurityException e) {
                throw new IOException("decryption failed", e);
            }
        }
    }

    private EncryptedFormat() {
    }

    /** Whether the file starts with the format's magic (reads only its first bytes). */
    static boolean isEncrypted(FileChannel channel) throws IOException {
        if (channel.size() < MAGIC.length) {
            return false;
        }
        ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
        readFully(channel, magic, 0);
        return Arrays.equals(magic.array(), MAGIC);
    }

    static Header newHeader(StorageKeys keys) {
        byte[] keyId = keys.activeId().getBytes(StandardCharsets.US_ASCII);
        byte[] salt = new byte[32];
        RANDOM.nextBytes(salt);
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 2 + keyId.length + 4 + salt.length);
        header.put(MAGIC).put(VERSION).put((byte) keyId.length).put(keyId).putInt(SEGMENT).put(salt);
        return new Header(header.array(), keys.activeId(), SEGMENT, salt, keys.active());
    }

    static Header readHeader(FileChannel channel, StorageKeys keys) throws IOException {
        if (keys == null) {
            throw new IOException("file is encrypted, but no storage keys are configured on this node");
        }
        ByteBuffer fixed = ByteBuffer.allocate(MAGIC.length + 2);
        readFully(channel, fixed, 0);
        fixed.flip();
        byte[] magic = new byte[MAGIC.length];
        fixed.get(magic);
        byte version = fixed.get();
        int keyIdLength = fixed.get() & 0xFF;
        if (!Arrays.equals(magic, MAGIC) || version != VERSION || keyIdLength == 0) {
            throw new IOException("file has an unknown encryption header");
        }
        int total = MAGIC.length + 2 + keyIdLength + 4 + 32;
        ByteBuffer all = ByteBuffer.allocate(total);
        readFully(channel, all, 0);
        all.position(MAGIC.length + 2);
        byte[] keyId = new byte[keyIdLength];
        all.get(keyId);
        int segmentSize = all.getInt();
        if (segmentSize < 1024 || segmentSize > 16 * 1024 * 1024) {
            throw new IOException("file has an invalid segment size " + segmentSize);
        }
        byte[] salt = new byte[32];
        all.get(salt);
        String id = new String(keyId, StandardCharsets.US_ASCII);
        return new Header(all.array(), id, segmentSize, salt, keys.get(id));
    }

    /**
     * About how much plaintext a pending file of {@code storedLength} bytes holds, from its length alone: its whole
     * segments, and what a shorter last one holds beyond its overhead (a part may end anywhere).
     */
    static long heldSize(Header header, long storedLength) {
        long body = Math.max(0, storedLength - header.length());
        long rest = body % header.cipherSegment();
        return body / header.cipherSegment() * header.segmentSize + Math.max(0, rest - OVERHEAD);
    }

    /**
     * The plaintext size of a finished file, from its length alone (no decryption). A length no finished file can
     * have is reported as an error: the file was truncated.
     */
    static long plaintextSize(Header header, long fileSize) throws IOException {
        long body = fileSize - header.length();
        long full = body / header.cipherSegment();
        long rest = body % header.cipherSegment();
        if (body < OVERHEAD || rest < OVERHEAD) {
            throw new IOException("encrypted file is truncated");
        }
        return full * header.segmentSize + rest - OVERHEAD;
    }

    static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new EOFException("encrypted file is truncated");
            }
            at += n;
        }
    }
}
