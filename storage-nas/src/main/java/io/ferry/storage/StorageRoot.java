package io.ferry.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The shared storage directory (the NAS mount in a cluster, a local directory on a single node) under which every
 * account has its home. Opens each account's {@link FileStore}; nothing a protocol does reaches outside it.
 */
public final class StorageRoot {

    private final Path root;
    private final StorageKeys keys;
    private final boolean encrypt;
    /** How files are kept: plain, or encryption at rest over plain (reading older files in either). */
    private final ContentFormat format;
    private final UsageTracker usage;
    private final StorageHealth health;
    private final Reencryption reencryption;

    /** Plain files, quotas rescanned every 5 minutes, no free-space minimum. */
    public StorageRoot(Path root) {
        this(root, null, false, Duration.ofMinutes(5), "node", 0);
    }

    /**
     * @param root         the storage root; created if missing. Links in its own path are resolved once here, so
     *                     containment checks compare real paths.
     * @param keys         storage keys, or null when none are configured
     * @param encrypt      write new files encrypted (needs keys)
     * @param usageRescan  how old an account's usage figures may get before its home is scanned again
     * @param nodeId       names this node's health probe file
     * @param minFreeBytes free space below which the storage counts as unavailable; 0 disables the check
     */
    public StorageRoot(Path root, StorageKeys keys, boolean encrypt, Duration usageRescan, String nodeId,
            long minFreeBytes) {
        Objects.requireNonNull(root, "root");
        if (encrypt && keys == null) {
            throw new IllegalArgumentException("encryption at rest needs storage keys");
        }
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create or open the storage root " + root, e);
        }
        this.keys = keys;
        this.encrypt = encrypt;
        this.format = keys == null ? PlainContent.INSTANCE : new EncryptedContent(PlainContent.INSTANCE, keys, encrypt);
        this.usage = new UsageTracker(usageRescan);
        this.health = new StorageHealth(this.root, nodeId, minFreeBytes);
        this.reencryption = encrypt ? new Reencryption(this.root, keys) : null;
    }

    /** The id of the key new files are encrypted with, or null when files are written plain. */
    public String activeKeyId() {
        return encrypt ? keys.activeId() : null;
    }

    /**
     * The background rewrite of files not under the active key.
     *
     * @throws IllegalStateException when encryption at rest is off
     */
    public Reencryption reencryption() {
        if (reencryption == null) {
            throw new IllegalStateException("encryption at rest is off (ferry.storage.encryption)");
        }
        return reencryption;
    }

    /**
     * Deletes pending uploads not touched since {@code olderThan}: uploads that were dropped and never resumed.
     *
     * @return how many were deleted
     */
    public int sweepPendingUploads(Instant olderThan) throws IOException {
        return PendingUploads.sweep(path(), olderThan);
    }

    public Path path() {
        return root;
    }

    public boolean encrypts() {
        return encrypt;
    }

    public StorageHealth health() {
        return health;
    }

    /**
     * Validates a home directory as configured for an account: a relative path of plain names, no {@code ..}, no
     * absolute path, no empty or NUL-containing segment, no name reserved for Ferry.
     *
     * @return the normalised form, segments joined with {@code /}
     * @throws IllegalArgumentException with a message fit for an API client when the home is not acceptable
     */
    public static String normalizeHome(String home) {
        if (home == null || home.isBlank()) {
            throw new IllegalArgumentException("home must not be empty");
        }
        if (home.startsWith("/") || home.startsWith("\\") || home.contains(":")) {
            throw new IllegalArgumentException("home must be a path relative to the storage root");
        }
        StringBuilder normalized = new StringBuilder();
        for (String segment : home.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..") || segment.indexOf('\0') >= 0 || segment.indexOf('\\') >= 0
                    || segment.length() > 255) {
                throw new IllegalArgumentException("home must not contain '..', backslashes, NUL or over-long names");
            }
            if (PendingUploads.isReserved(segment)) {
                throw new IllegalArgumentException("home must not use names starting with "
                        + PendingUploads.RESERVED_PREFIX);
            }
            if (normalized.length() > 0) {
                normalized.append('/');
            }
            normalized.append(segment);
        }
        if (normalized.length() == 0) {
            throw new IllegalArgumentException("home must name a directory below the storage root");
        }
        if (normalized.length() > 512) {
            throw new IllegalArgumentException("home must be at most 512 characters");
        }
        return normalized.toString();
    }

    /**
     * Opens an account's files, creating its home directory when it does not exist yet.
     *
     * @param home  a home as accepted by {@link #normalizeHome(String)}
     * @param quota the account's limits
     */
    public FileStore open(String home, Quota quota) throws IOException {
        health.check();
        return new NasFileStore(jail(home), format, quota, usage, health);
    }

    Jail jail(String home) throws IOException {
        String normalized = normalizeHome(home);
        Path dir;
        try {
            dir = root.resolve(normalized).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("home is not a valid path: " + e.getMessage(), e);
        }
        if (!dir.startsWith(root) || dir.equals(root)) {
            throw new IllegalArgumentException("home must be below the storage root");
        }
        Files.createDirectories(dir);
        Path real = dir.toRealPath();
        if (!real.startsWith(root) || real.equals(root)) {
            // a link to the root itself would put the account's files beside Ferry's own (.ferry-storage)
            throw new IOException("home " + normalized + " resolves outside the storage root, or to the root");
        }
        return new Jail(real);
    }
}
