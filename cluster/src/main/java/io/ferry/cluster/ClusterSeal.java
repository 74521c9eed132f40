package io.ferry.cluster;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.ferry.common.KeyDerivation;

/**
 * What makes the cluster network's word worth obeying. Hazelcast Community Edition authenticates no member and
 * encrypts nothing, so a host that reaches the member port can join, read every map and publish on every topic.
 * Every member of a Ferry cluster has the same master key, and from it the same cluster secret: here it signs each
 * control message (HMAC-SHA256 over the sending node, a time, a nonce and the text; unsigned, stale, replayed and
 * forged messages are dropped) and seals each value Ferry keeps in a map (AES-256-GCM, the map and the entry's key as
 * additional data, so a value neither reads nor moves). A member without the secret can delete entries or stop
 * messages, which no other member then obeys; it cannot make a node do anything or read what nodes share.
 */
final class ClusterSeal {

    /** How far a message's time may be from this node's clock (nodes are expected to run NTP). */
    static final long WINDOW_MILLIS = 30_000;
    /** The most nonces remembered; at {@link #WINDOW_MILLIS} each, far more than a cluster sends. */
    static final int MAX_NONCES = 100_000;
    private static final String PREFIX = "ferry1";
    private static final int NONCE_BYTES = 12;

    /** Why a control message was dropped (the meter's {@code reason}). */
    enum Drop {
        UNSIGNED, FORGED, STALE, REPLAYED, MALFORMED
    }

    /** A message that verified: who sent it and what it says. */
    record Signed(String sender, String text) {
    }

    /** The outcome of {@link #verify}: a message or why there is none. */
    record Verified(Signed message, Drop drop) {
    }

    private final SecretKeySpec macKey;
    private final SecretKeySpec sealKey;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Long> seen = new LinkedHashMap<>();

    ClusterSeal(byte[] secret) {
        if (secret == null || secret.length < 32) {
            throw new IllegalArgumentException("the cluster secret must be at least 32 bytes");
        }
        this.macKey = new SecretKeySpec(KeyDerivation.derive(secret, "ferry-cluster-messages"), "HmacSHA256");
        this.sealKey = new SecretKeySpec(KeyDerivation.derive(secret, "ferry-cluster-maps"), "AES");
    }

    /** The wire form of {@code text} sent by {@code sender} now. */
    String sign(String sender, String text, long nowMillis) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        String head = sender + " " + nowMillis + " " + HexFormat.of().formatHex(nonce);
        return PREFIX + " " + head + " " + mac(PREFIX + " " + head, text) + " " + text;
    }

    /** The message {@code wire} carries when it is signed with this cluster's secret, recent and not seen before. */
    Verified verify(String wire, long nowMillis) {
        if (wire == null || !wire.startsWith(PREFIX + " ")) {
            return new Verified(null, Drop.UNSIGNED);
        }
        String[] parts = wire.split(" ", 6);
        if (parts.length != 6) {
            return new Verified(null, Drop.MALFORMED);
        }
        String head = PREFIX + " " + parts[1] + " " + parts[2] + " " + parts[3];
        if (!MessageDigest.isEqual(mac(head, parts[5]).getBytes(StandardCharsets.US_ASCII),
                parts[4].getBytes(StandardCharsets.US_ASCII))) {
            return new Verified(null, Drop.FORGED);
        }
        long sent;
        try {
            sent = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return new Verified(null, Drop.MALFORMED);
        }
        if (Math.abs(nowMillis - sent) > WINDOW_MILLIS) {
            return new Verified(null, Drop.STALE);
        }
        synchronized (seen) {
            for (Iterator<Long> it = seen.values().iterator(); it.hasNext();) {
                long at = it.next();
                if (nowMillis - at <= 2 * WINDOW_MILLIS && seen.size() < MAX_NONCES) {
                    break;
                }
                it.remove(); // insertion order is time order: the oldest go first
            }
            if (seen.putIfAbsent(parts[1] + " " + parts[3], nowMillis) != null) {
                return new Verified(null, Drop.REPLAYED);
            }
        }
        return new Verified(new Signed(parts[1], parts[5]), null);
    }

    /** {@code value} sealed for entry {@code key} of map {@code map}. */
    String seal(String map, String key, String value) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, sealKey, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(place(map, key));
            byte[] body = cipher.doFinal(value.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE_BYTES + body.length).put(nonce)
                    .put(body).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** What {@link #seal} sealed for this entry; empty for anything else (not sealed, altered, moved, not text). */
    Optional<String> open(String map, String key, Object sealed) {
        if (!(sealed instanceof String text)) {
            return Optional.empty();
        }
        try {
            byte[] raw = Base64.getDecoder().decode(text);
            if (raw.length < NONCE_BYTES + 16) {
                return Optional.empty();
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, sealKey, new GCMParameterSpec(128, raw, 0, NONCE_BYTES));
            cipher.updateAAD(place(map, key));
            return Optional.of(new String(cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES),
                    StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    private String mac(String head, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(macKey);
            mac.update((head + "\n").getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(
                    StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    private static byte[] place(String map, String key) {
        return (map + "\n" + key).getBytes(StandardCharsets.UTF_8);
    }
}
