package io.ferry.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The shared storage directory (the NAS mount in a cluster, a local directory on a single node) under which every
 * account has its home. Hands out a {@link Jail} per account; nothing a protocol does reaches outside it.
 */
public final class StorageRoot {

    private final Path root;

    /**
     * @param root the storage root; created if missing. Symbolic links in the root's own path are resolved once here,
     *             so containment checks compare real paths.
     */
    public StorageRoot(Path root) {
        Objects.requireNonNull(root, "root");
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create or open the storage root " + root, e);
        }
    }

    public Path path() {
        return root;
    }

    /**
     * Validates a home directory as configured for an account: a relative path of plain names, no {@code ..}, no
     * absolute path, no empty or NUL-containing segment.
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
            if (normalized.length() > 0) {
                normalized.append('/');
            }
            normalized.append(segment);
        }
        if (normalized.length() == 0) {
            throw new IllegalArgumentException("home must name a directory below the storage root");
        }
        return normalized.toString();
    }

    /**
     * Opens the jail of one account, creating its home directory when it does not exist yet.
     *
     * @param home a home as accepted by {@link #normalizeHome(String)}
     */
    public Jail jail(String home) throws IOException {
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
        if (!real.startsWith(root)) {
            throw new IOException("home " + normalized + " resolves outside the storage root");
        }
        return new Jail(real);
    }
}
