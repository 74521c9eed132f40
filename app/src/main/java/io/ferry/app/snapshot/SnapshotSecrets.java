package io.ferry.app.snapshot;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Secrets in a configuration snapshot, sealed with a passphrase: PBKDF2-HMAC-SHA256 (600,000 iterations, OWASP's
 * 2023 figure, a random 16-byte salt kept in the document) derives an AES-256 key; each secret is AES-GCM with a
 * random 12-byte nonce, its place in the document ({@code partner/acme/password}) as additional data, so a sealed
 * value moved to another field does not open. {@link Kdf#check} seals a known text, so a wrong passphrase is told
 * apart from a damaged document before anything is imported.
 */
public final class SnapshotSecrets {

    /** How the key was derived, as the document records it. */
    public record Kdf(String algorithm, int iterations, String salt, String check) {
    }

    static final String ALGORITHM = "PBKDF2WithHmacSHA256";
    static final int ITERATIONS = 600_000;
    static final int MIN_PASSPHRASE = 12;
    private static final String PREFIX = "enc:v1:";
    private static final String CHECK_TEXT = "ferry-configuration";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final Kdf kdf;

    private SnapshotSecrets(SecretKeySpec key, Kdf kdf) {
        this.key = key;
        this.kdf = kdf;
    }

    /** For an export: a new salt. */
    static SnapshotSecrets create(String passphrase) {
        if (passphrase == null || passphrase.length() < MIN_PASSPHRASE) {
            throw new IllegalArgumentException("a passphrase of at least " + MIN_PASSPHRASE + " characters is needed "
                    + "to encrypt the secrets (or export them omitted)");
        }
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        SecretKeySpec key = derive(passphrase, salt, ITERATIONS);
        SnapshotSecrets secrets = new SnapshotSecrets(key, null);
        String check = secrets.seal("kdf/check", CHECK_TEXT);
        return new SnapshotSecrets(key, new Kdf(ALGORITHM, ITERATIONS, Base64.getEncoder().encodeToString(salt), check));
    }

    /** For an import: the document's salt; refuses a wrong passphrase. */
    static SnapshotSecrets open(Kdf kdf, String passphrase) {
        if (kdf == null || !ALGORITHM.equals(kdf.algorithm()) || kdf.salt() == null || kdf.check() == null
                || kdf.iterations() < 100_000 || kdf.iterations() > 10_000_000) {
            throw new IllegalArgumentException("the snapshot's kdf is missing or not " + ALGORITHM);
        }
        if (passphrase == null || passphrase.isEmpty()) {
            throw new IllegalArgumentException("the snapshot's secrets are encrypted: give its passphrase "
                    + "(X-Ferry-Passphrase)");
        }
        SecretKeySpec key = derive(passphrase, Base64.getDecoder().decode(kdf.salt()), kdf.iterations());
        SnapshotSecrets secrets = new SnapshotSecrets(key, kdf);
        String check;
        try {
            check = secrets.openValue("kdf/check", kdf.check());
        } catch (IllegalArgumentException e) {
            check = null;
        }
        if (!CHECK_TEXT.equals(check)) {
            throw new IllegalArgumentException("wrong passphrase for this snapshot");
        }
        return secrets;
    }

    Kdf kdf() {
        return kdf;
    }

    String seal(String place, String secret) {
        if (secret == null) {
            return null;
        }
        try {
            byte[] nonce = new byte[12];
            RANDOM.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(place.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[12 + sealed.length];
            System.arraycopy(nonce, 0, out, 0, 12);
            System.arraycopy(sealed, 0, out, 12, sealed.length);
            return PREFIX + Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM failed", e);
        }
    }

    String openValue(String place, String sealed) {
        if (sealed == null) {
            return null;
        }
        if (!sealed.startsWith(PREFIX)) {
            throw new IllegalArgumentException(place + ": not an encrypted value (" + PREFIX + "...)");
        }
        try {
            byte[] in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
            if (in.length < 12 + 16) {
                throw new IllegalArgumentException(place + ": encrypted value too short");
            }
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, in, 0, 12));
            cipher.updateAAD(place.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(in, 12, in.length - 12), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new IllegalArgumentException(place + ": the encrypted value does not open with this passphrase "
                    + "(changed, or moved from another field)");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().startsWith(place)) {
                throw iae;
            }
            throw new IllegalArgumentException(place + ": damaged encrypted value");
        }
    }

    private static SecretKeySpec derive(String passphrase, byte[] salt, int iterations) {
        try {
            PBEKeySpec spec = new PBEKeySpec(passphrase.toCharArray(), salt, iterations, 256);
            byte[] key = SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
            spec.clearPassword();
            return new SecretKeySpec(key, "AES");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(ALGORITHM + " is not available", e);
        }
    }
}
