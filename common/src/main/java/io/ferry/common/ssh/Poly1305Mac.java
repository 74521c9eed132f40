package io.ferry.common.ssh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Poly1305 (RFC 8439 section 2.5) on two 64-bit limbs and a small third one, the layout of OpenSSL's and
 * poly1305-donna's 64-bit code: four 64x64-bit products per 16-byte block, against the 25 32x32-bit products of
 * BouncyCastle's 26-bit limbs. Java 17 has no unsigned multiply-high, so the high halves come from
 * {@link Math#multiplyHigh} with the one correction a multiplier above 2^63 needs (the clamped key halves are below
 * 2^61, only the accumulator can be). Checked against BouncyCastle's in Poly1305MacTest.
 */
final class Poly1305Mac {

    private static final VarHandle LE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private long r0, r1, s1;
    private long pad0, pad1;
    private long h0, h1, h2;
    private final byte[] partial = new byte[16];
    private int partialLength;

    /** Starts a new tag with a 32-byte one-time key ({@code r} then {@code s}). */
    void init(byte[] key) {
        r0 = (long) LE_LONG.get(key, 0) & 0x0FFFFFFC0FFFFFFFL;
        r1 = (long) LE_LONG.get(key, 8) & 0x0FFFFFFC0FFFFFFCL;
        s1 = r1 + (r1 >>> 2);
        pad0 = (long) LE_LONG.get(key, 16);
        pad1 = (long) LE_LONG.get(key, 24);
        h0 = 0;
        h1 = 0;
        h2 = 0;
        partialLength = 0;
    }

    void update(byte[] data, int offset, int length) {
        if (partialLength > 0) {
            int take = Math.min(16 - partialLength, length);
            System.arraycopy(data, offset, partial, partialLength, take);
            partialLength += take;
            offset += take;
            length -= take;
            if (partialLength < 16) {
                return;
            }
            blocks(partial, 0, 16);
            partialLength = 0;
        }
        int whole = length & ~15;
        if (whole > 0) {
            blocks(data, offset, whole);
        }
        if (whole < length) {
            System.arraycopy(data, offset + whole, partial, 0, length - whole);
            partialLength = length - whole;
        }
    }

    /** Writes the 16-byte tag at {@code offset}. The object needs {@link #init} before the next tag. */
    void doFinal(byte[] out, int offset) {
        if (partialLength > 0) {
            partial[partialLength] = 1;
            java.util.Arrays.fill(partial, partialLength + 1, 16, (byte) 0);
            block((long) LE_LONG.get(partial, 0), (long) LE_LONG.get(partial, 8), 0);
            partialLength = 0;
        }
        // h mod 2^130 - 5: h - p = h + 5 - 2^130; take it when that does not go negative
        long g0 = h0 + 5;
        long c = carry(h0, 5, g0);
        long g1 = h1 + c;
        c = carry(h1, c, g1);
        long g2 = h2 + c;
        long mask = -(g2 >>> 2); // all ones when h >= p
        long t0 = (h0 & ~mask) | (g0 & mask);
        long t1 = (h1 & ~mask) | (g1 & mask);
        long m0 = t0 + pad0;
        long m1 = t1 + pad1 + carry(t0, pad0, m0);
        LE_LONG.set(out, offset, m0);
        LE_LONG.set(out, offset + 8, m1);
    }

    private void blocks(byte[] data, int offset, int length) {
        for (int end = offset + length; offset < end; offset += 16) {
            block((long) LE_LONG.get(data, offset), (long) LE_LONG.get(data, offset + 8), 1);
        }
    }

    /** h = (h + m + hibit * 2^128) * r, partially reduced mod 2^130 - 5. */
    private void block(long m0, long m1, long hibit) {
        long a0 = h0 + m0;
        long c = carry(h0, m0, a0);
        long a1t = h1 + m1;
        long c1 = carry(h1, m1, a1t);
        long a1 = a1t + c;
        c1 += carry(a1t, c, a1);
        long a2 = h2 + c1 + hibit;

        // d0 = a0*r0 + a1*s1 ; d1 = a0*r1 + a1*r0 + a2*s1 ; d2 = a2*r0   (r0, r1, s1 < 2^61)
        long lo = a0 * r0;
        long hi = multiplyHighUnsigned(a0, r0);
        long lo2 = a1 * s1;
        long d0lo = lo + lo2;
        long d0hi = hi + multiplyHighUnsigned(a1, s1) + carry(lo, lo2, d0lo);

        lo = a0 * r1;
        hi = multiplyHighUnsigned(a0, r1);
        lo2 = a1 * r0;
        long d1lo = lo + lo2;
        long d1hi = hi + multiplyHighUnsigned(a1, r0) + carry(lo, lo2, d1lo);
        long lo3 = a2 * s1; // a2 < 8: no high half
        long t = d1lo + lo3;
        d1hi += carry(d1lo, lo3, t);
        d1lo = t;

        long d2 = a2 * r0;
        // fold d0's high half into d1
        t = d1lo + d0hi;
        d1hi += carry(d1lo, d0hi, t);
        d1lo = t;
        d2 += d1hi;

        // bits 130 and up times 5 go back to the bottom (2^130 = 5 mod p)
        long fold = (d2 >>> 2) + (d2 & ~3L);
        long n0 = d0lo + fold;
        c = carry(d0lo, fold, n0);
        long n1 = d1lo + c;
        c = carry(d1lo, c, n1);
        h0 = n0;
        h1 = n1;
        h2 = (d2 & 3) + c;
    }

    /** The high 64 bits of the unsigned product, for {@code b < 2^63}. */
    private static long multiplyHighUnsigned(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b);
    }

    /** The carry out of {@code sum = a + b} (unsigned), as 0 or 1. */
    private static long carry(long a, long b, long sum) {
        return ((a & b) | ((a | b) & ~sum)) >>> 63;
    }
}
