package io.ferry.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SHA-256 of a file's whole plaintext, kept with the file as a user extended attribute ({@code user.ferry.sha256})
 * when an upload that hashed every byte completes, so that a later download of the whole file can log it without
 * hashing the file again. Renames keep it (it belongs to the file, not the name).
 *
 * <p>The attribute names the stored size and modification time it was taken at. A file changed since (in place,
 * outside Ferry, or only its times set by a client) no longer matches and is hashed as it is read, as is every file
 * on a file system without user attributes (some NAS mounts): the attribute saves work, it is never needed.
 */
final class ContentDigest {

    static final String ATTRIBUTE = "ferry.sha256";
    private static final Logger log = LoggerFactory.getLogger(ContentDigest.class);
    private static final Pattern VALUE = Pattern.compile("v1 ([0-9a-f]{64}) (\\d+) (-?\\d+)");
    private static final int MAX_VALUE = 128;

    private ContentDigest() {
    }

    /** Keeps {@code sha256} with the file as it is now (its content written, not yet renamed into place). */
    static void record(Path file, String sha256) {
        UserDefinedFileAttributeView view = view(file);
        if (view == null) {
            return;
        }
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            String value = "v1 " + sha256 + " " + attributes.size() + " "
                    + attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            view.write(ATTRIBUTE, StandardCharsets.US_ASCII.encode(value));
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("No checksum kept with {}: {}", file, e.getMessage());
        }
    }

    /** Drops a checksum the file may carry (its content is about to be something the checksum does not cover). */
    static void forget(Path file) {
        UserDefinedFileAttributeView view = view(file);
        if (view == null) {
            return;
        }
        try {
            if (view.list().contains(ATTRIBUTE)) {
                view.delete(ATTRIBUTE);
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("Cannot look at the checksum kept with {}: {}", file, e.getMessage());
        }
    }

    /** The checksum kept with the file, if it was taken at the size and modification time it has now; else null. */
    static String read(Path file, BasicFileAttributes now) {
        UserDefinedFileAttributeView view = view(file);
        if (view == null) {
            return null;
        }
        try {
            // asked first: most files read carry none, and a read of a missing attribute costs an exception
            if (!view.list().contains(ATTRIBUTE)) {
                return null;
            }
            ByteBuffer value = ByteBuffer.allocate(MAX_VALUE);
            view.read(ATTRIBUTE, value);
            var match = VALUE.matcher(StandardCharsets.US_ASCII.decode(value.flip()));
            if (match.matches() && Long.parseLong(match.group(2)) == now.size()
                    && Long.parseLong(match.group(3)) == now.lastModifiedTime().to(TimeUnit.NANOSECONDS)) {
                return match.group(1);
            }
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            // not readable here (a file system without user attributes): hash as it is read
        }
        return null;
    }

    private static UserDefinedFileAttributeView view(Path file) {
        return Files.getFileAttributeView(file, UserDefinedFileAttributeView.class);
    }
}
