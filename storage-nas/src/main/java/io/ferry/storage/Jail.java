package io.ferry.storage;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Collections;

import org.apache.sshd.common.file.root.RootedFileSystemProvider;

/**
 * One account's view of the storage: a file system whose {@code /} is the account's home directory.
 *
 * <p>Two layers keep every path inside the home. The rooted file system (Apache MINA's
 * {@link RootedFileSystemProvider}) resolves {@code ..} and absolute paths lexically, so {@code /../../etc} is
 * {@code /etc} inside the home. {@link #checkInside(Path)} then resolves symbolic links on the real disk: a link
 * placed in the home by another system that points outside it is refused, whether it is the last segment or a
 * directory on the way.
 */
final class Jail {

    private final Path home;

    Jail(Path realHome) {
        this.home = realHome;
    }

    /** The real directory on the storage root (for operators and logs; never shown to a client). */
    Path home() {
        return home;
    }

    /**
     * Opens a new view of the account's files; paths in it are virtual, {@code /} being the home. The caller closes it
     * (closing it touches no file).
     */
    FileSystem openFileSystem() throws IOException {
        return new RootedFileSystemProvider().newFileSystem(home, Collections.emptyMap());
    }

    /**
     * Maps a virtual path of {@link #openFileSystem()} onto the real disk.
     *
     * @throws AccessDeniedException if the path, once normalised, would leave the home
     */
    Path toLocal(Path virtual) throws AccessDeniedException {
        Path absolute = virtual.toAbsolutePath().normalize();
        Path local = home;
        for (Path name : absolute) {
            local = local.resolve(name.toString());
        }
        local = local.normalize();
        if (!local.startsWith(home)) {
            throw new AccessDeniedException(virtual.toString(), null, "outside the home directory");
        }
        return local;
    }

    /**
     * Refuses a path that reaches outside the home through a symbolic link: the deepest existing part of the path is
     * resolved to its real location, which must lie in the home. A dangling link is refused too, since writing
     * through it would create a file wherever it points.
     *
     * @return the real path on disk
     * @throws AccessDeniedException when the path leaves the home
     */
    Path checkInside(Path virtual) throws IOException {
        Path local = toLocal(virtual);
        Path existing = local;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new AccessDeniedException(virtual.toString(), null, "outside the home directory");
        }
        Path real;
        try {
            real = existing.toRealPath();
        } catch (IOException e) {
            // a link whose target does not exist, or a loop
            throw new AccessDeniedException(virtual.toString(), null, "unresolvable link");
        }
        if (!real.startsWith(home)) {
            throw new AccessDeniedException(virtual.toString(), null, "outside the home directory");
        }
        return local;
    }
}
