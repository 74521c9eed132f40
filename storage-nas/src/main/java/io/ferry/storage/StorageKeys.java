package io.ferry.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Pattern;

import io.ferry.common.SecretFiles;

/**
 * The keys that encrypt files at rest: 32-byte AES keys by id, and the active one that new files are written with.
 * Older keys stay to read files written before a rotation. They come from configuration ({@code ferry.storage.keys})
 * or a key file, never from the database.
 */
public final class StorageKeys {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Map<String, byte[]> keys;
    private final String activeId;

    public StorageKeys(Map<String, byte[]> keys, String activeId) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one storage key is needed for encryption");
        }
        Map<String, byte[]> copy = new LinkedHashMap<>();
        keys.forEach((id, key) -> {
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException("storage key id '" + id + "' must be 1-64 of [A-Za-z0-9._-]");
            }
            if (key.length != 32) {
                throw new IllegalArgumentException("storage key '" + id + "' must be 32 bytes (base64 of 32 random "
                        + "bytes), was " + key.length);
            }
            copy.put(id, key.clone());
        });
        if (activeId == null || !copy.containsKey(activeId)) {
            throw new IllegalArgumentException("the active storage key '" + activeId + "' is not among the keys "
                    + copy.keySet());
        }
        this.keys = copy;
        this.activeId = activeId;
    }

    /** Parses {@code id -> base64} entries. */
    public static StorageKeys fromBase64(Map<String, String> encoded, String activeId) {
        Map<String, byte[]> keys = new LinkedHashMap<>();
        encoded.forEach((id, value) -> {
            try {
                keys.put(id, Base64.getDecoder().decode(value.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("storage key '" + id + "' is not base64", e);
            }
        });
        return new StorageKeys(keys, activeId);
    }

    /**
     * Reads a key file ({@code id=base64} lines, and {@code active=id}), creating one with a fresh key {@code k1}
     * (owner-only permissions) when it does not exist.
     */
    public static StorageKeys fromFile(Path file) {
        try {
            if (!Files.exists(file)) {
                byte[] key = new byte[32];
                new SecureRandom().nextBytes(key);
                Files.createDirectories(file.toAbsolutePath().getParent());
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.deleteIfExists(tmp);
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(tmp, "# Ferry storage keys: id=base64 of 32 bytes; 'active' names the key for new files\n"
                        + "active=k1\nk1=" + Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII,
                        StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                Files.move(tmp, file);
            }
            SecretFiles.requireOwnerOnly(file, "The storage key file");
            Properties properties = new Properties();
            try (var in = Files.newInputStream(file)) {
                properties.load(in);
            }
            String active = properties.getProperty("active");
            Map<String, String> encoded = new LinkedHashMap<>();
            for (String name : properties.stringPropertyNames()) {
                if (!name.equals("active")) {
                    encoded.put(name, properties.getProperty(name));
                }
            }
            return fromBase64(encoded, active);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create the storage key file " + file, e);
        }
    }

    public String activeId() {
        return activeId;
    }

    byte[] active() {
        return keys.get(activeId);
    }

    /**
     * @throws IOException naming the key id when this node does not have that key
     */
    byte[] get(String id) throws IOException {
        byte[] key = keys.get(id);
        if (key == null) {
            throw new IOException("file is encrypted with storage key '" + id + "', which this node does not have");
        }
        return key;
    }
}
