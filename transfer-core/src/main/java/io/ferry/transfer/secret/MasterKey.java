package io.ferry.transfer.secret;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import io.ferry.common.KeyDerivation;
import io.ferry.common.SecretFiles;

/**
 * The key that encrypts the secrets Ferry keeps in the database (SSH host keys now; TLS keys and partner credentials
 * later). It never lives in the database: it comes from configuration or from a key file in the data directory,
 * so a stolen database dump reveals no secret. Every node of a cluster must be given the same key.
 *
 * <p>Sealed values are {@code version(1) || nonce(12) || AES-256-GCM(ciphertext || tag(16))}. Format 2 seals each
 * value under its {@link SealedPlace} (table, column, row) as additional data, so a value copied to another row or
 * column does not open; format 1 (before 2026-12-06) was bound only to its version byte and is read only by the
 * migration that re-sealed such values. Each sealed value is stored beside the {@link #id()} of the key that sealed
 * it.
 */
public final class MasterKey {

    private static final byte UNBOUND_VERSION = 1;
    private static final byte FORMAT_VERSION = 2;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final String id;
    private final SecureRandom random = new SecureRandom();
    private final Path file;
    private final boolean created;

    private MasterKey(byte[] raw, Path file, boolean created) {
        this.file = file;
        this.created = created;
        if (raw.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes (base64 of 32 random bytes), was "
                    + raw.length + " bytes");
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.id = keyId(raw);
    }

    /** A key given in configuration, base64 of 32 bytes. */
    public static MasterKey fromBase64(String base64) {
        return fromBase64(base64, null);
    }

    private static MasterKey fromBase64(String base64, Path file) {
        try {
            return new MasterKey(Base64.getDecoder().decode(base64.trim()), file, false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((file == null ? "ferry.security.master-key" : "the master key file "
                    + file) + " is not valid: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the key file (refused when others may read it), or creates it (owner-only permissions) with a fresh random
     * key when it does not exist.
     */
    public static MasterKey fromFile(Path file) {
        try {
            if (Files.exists(file)) {
                SecretFiles.requireOwnerOnly(file, "The master key file");
                return fromBase64(Files.readString(file, StandardCharsets.US_ASCII), file);
            }
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, Base64.getEncoder().encodeToString(raw) + "\n", StandardCharsets.US_ASCII,
                    StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            Files.move(tmp, file);
            return new MasterKey(raw, file, true); // the node's start report tells the operator to back it up
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create the master key file " + file, e);
        }
    }

    /** The file the key is kept in; null when it was given in configuration. */
    public Path file() {
        return file;
    }

    /** Whether this start created {@link #file()} with a new key (which then wants a backup). */
    public boolean created() {
        return created;
    }

    /** A short, non-secret identifier of this key (first 8 bytes of SHA-256 of a derived value, hex). */
    public String id() {
        return id;
    }

    /**
     * A key for another {@code purpose} (HMAC-SHA256 of the purpose under this key): every node with this master key
     * derives the same one, and it tells nothing about this key or any other purpose's.
     */
    public byte[] derive(String purpose) {
        return KeyDerivation.derive(key.getEncoded(), "ferry-derived/" + purpose);
    }

    /** Seals {@code plaintext} for {@code place}: it opens only there (format 2). */
    public byte[] seal(byte[] plaintext, SealedPlace place) {
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(place.additionalData(FORMAT_VERSION));
            byte[] sealed = cipher.doFinal(plaintext);
            byte[] out = new byte[1 + NONCE_BYTES + sealed.length];
            out[0] = FORMAT_VERSION;
            System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
            System.arraycopy(sealed, 0, out, 1 + NONCE_BYTES, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    /** {@link #seal} as the database stores it: base64. */
    public String sealText(byte[] plaintext, SealedPlace place) {
        return Base64.getEncoder().encodeToString(seal(plaintext, place));
    }

    /**
     * Opens a value sealed for {@code place}.
     *
     * @throws IllegalStateException if the value was not sealed by this key for this place, was altered, or has the
     *         unbound format 1 (which only the migration that re-sealed such values reads)
     */
    public byte[] open(byte[] sealed, SealedPlace place) {
        if (sealed.length >= 1 && sealed[0] == UNBOUND_VERSION) {
            throw new IllegalStateException("the secret in " + place + " has the old format that is not bound to its "
                    + "place, which is no longer accepted (migration V19 re-sealed every such value; one restored from "
                    + "an older backup or copied from another row must be entered again)");
        }
        return decrypt(sealed, FORMAT_VERSION, place.additionalData(FORMAT_VERSION), place.toString());
    }

    /** {@link #open} of the base64 text the database stores. */
    public byte[] openText(String sealed, SealedPlace place) {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(sealed);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the secret in " + place + " is not base64", e);
        }
        return open(raw, place);
    }

    /**
     * Opens a value of format 1, sealed before values were bound to their place. Only the migration that re-seals
     * them (V19) calls this: at run time such values are refused, so one cannot be moved between rows.
     */
    public byte[] openUnbound(byte[] sealed) {
        return decrypt(sealed, UNBOUND_VERSION, new byte[] {UNBOUND_VERSION}, "an unbound secret");
    }

    /** Whether {@code sealed} has the format bound to its place (2), which {@link #open} reads. */
    public static boolean bound(byte[] sealed) {
        return sealed.length > 0 && sealed[0] == FORMAT_VERSION;
    }

    private byte[] decrypt(byte[] sealed, byte version, byte[] additionalData, String what) {
        if (sealed.length < 1 + NONCE_BYTES + TAG_BITS / 8 || sealed[0] != version) {
            throw new IllegalStateException("the secret in " + what + " has an unknown format");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 1, NONCE_BYTES));
            cipher.updateAAD(additionalData);
            return cipher.doFinal(sealed, 1 + NONCE_BYTES, sealed.length - 1 - NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the secret in " + what + " cannot be decrypted with master key " + id
                    + ": wrong master key, or the value was altered or sealed for another place (another row, or, for a partner, "
                    + "another destination)", e);
        }
    }

    private static String keyId(byte[] raw) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update("ferry-master-key-id".getBytes(StandardCharsets.US_ASCII));
            byte[] digest = sha.digest(raw);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
