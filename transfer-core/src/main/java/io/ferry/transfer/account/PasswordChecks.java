package io.ferry.transfer.account;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.Semaphore;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.springframework.security.crypto.password.PasswordEncoder;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Password verification with bounded cost. Argon2id is slow and memory-hard on purpose (16 MiB and tens of
 * milliseconds of CPU per check): a burst of logins must neither take all the memory nor all the cores.
 * <ul>
 * <li>At most one check per core runs at once; the others wait their turn. A hundred simultaneous logins cost
 * cores x 16 MiB, not 1.6 GiB.</li>
 * <li>A password that verified is remembered for a few minutes, as an HMAC under a key that lives only in this
 * process, bound to the stored hash: partners' scripts that log in every few minutes pay for Argon2id once, and a
 * changed password (a new hash) never matches an old entry. Only the right password hits; a wrong one always pays
 * the full check.</li>
 * <li>A login of a name that has no password (unknown, or key-only) pays the same full check against a hash of a
 * random secret of this process, which nothing matches and which is never remembered: the second try of a name
 * costs as much as the first, whether the name has a password or not.</li>
 * </ul>
 */
final class PasswordChecks {

    private static final Duration REMEMBER = Duration.ofMinutes(5);

    private final PasswordEncoder encoder;
    private final Semaphore slots = new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()), true);
    private final SecretKeySpec key;
    private final Cache<String, Boolean> verified = Caffeine.newBuilder().expireAfterWrite(REMEMBER)
            .maximumSize(10_000).build();

    /** What a name without a password is checked against: the hash of a secret no one knows. */
    private final String nothing;

    PasswordChecks(PasswordEncoder encoder) {
        this.encoder = encoder;
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        byte[] unknowable = new byte[32];
        random.nextBytes(unknowable);
        this.nothing = encoder.encode(HexFormat.of().formatHex(unknowable));
    }

    /**
     * The full check for a name that has no password, costing what a wrong password of a real account costs; always
     * false.
     */
    boolean matchesNothing(String password) {
        fullCheck(password, nothing);
        return false;
    }

    /** Whether the password matches the stored hash; the full check unless it verified against that hash lately. */
    boolean matches(String username, String password, String hash) {
        String remembered = fingerprint(username, password, hash);
        if (verified.getIfPresent(remembered) != null) {
            return true;
        }
        boolean matches = fullCheck(password, hash);
        if (matches) {
            verified.put(remembered, Boolean.TRUE);
        }
        return matches;
    }

    /** Argon2id, at most one check per core at once. */
    private boolean fullCheck(String password, String hash) {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            return encoder.matches(password, hash);
        } finally {
            slots.release();
        }
    }

    private String fingerprint(String username, String password, String hash) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            for (String part : new String[] {username, hash, password}) {
                byte[] bytes = String.valueOf(part).getBytes(StandardCharsets.UTF_8);
                mac.update((byte) (bytes.length >>> 24));
                mac.update((byte) (bytes.length >>> 16));
                mac.update((byte) (bytes.length >>> 8));
                mac.update((byte) bytes.length);
                mac.update(bytes);
            }
            return HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
