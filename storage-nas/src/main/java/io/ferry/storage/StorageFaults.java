package io.ferry.storage;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import io.ferry.common.FailureKind;

/**
 * Turns what the operating system says of a failed write into the storage's own refusals, worded for the client
 * ("no space left on the storage", "the storage is read-only"). The one place that reads the kernel's error text;
 * where that text is localised, the file system's own state (free space, read-only flag) decides.
 */
final class StorageFaults {

    static final String FULL = FailureKind.STORAGE_FULL.words();
    static final String READ_ONLY = FailureKind.STORAGE_READ_ONLY.words();

    private StorageFaults() {
    }

    /** {@code e} as a {@link StorageException} when it is a fault of the storage itself; otherwise {@code e}. */
    static IOException translate(IOException e, Path where) {
        if (e instanceof StorageException) {
            return e;
        }
        String text = reason(e).toLowerCase(Locale.ROOT);
        // a specific refusal (no such file, already exists, access denied) is never a fault of the storage
        boolean unspecific = e.getClass() == IOException.class || e.getClass() == FileSystemException.class;
        if (text.contains("no space left") || text.contains("disk quota exceeded") || unspecific && noSpace(where)) {
            return new StorageFullException(FULL, e);
        }
        if (text.contains("read-only file system") || unspecific && readOnly(where)) {
            return new StorageReadOnlyException(READ_ONLY, e);
        }
        return e;
    }

    /** What went wrong, in the kernel's words, without the paths a file-system exception names (the NAS's own). */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fs) {
            return fs.getReason() != null ? fs.getReason() : e.getClass().getSimpleName();
        }
        return String.valueOf(e.getMessage());
    }

    private static boolean noSpace(Path where) {
        try {
            return where != null && Files.getFileStore(existing(where)).getUsableSpace() == 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean readOnly(Path where) {
        try {
            return where != null && Files.getFileStore(existing(where)).isReadOnly();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static Path existing(Path where) {
        Path path = where;
        while (path.getParent() != null && !Files.exists(path)) {
            path = path.getParent();
        }
        return path;
    }
}
