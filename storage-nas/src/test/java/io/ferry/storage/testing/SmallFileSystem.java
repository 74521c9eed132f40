package io.ferry.storage.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real, small kernel file system mounted over a directory for a test, so that storage faults are the kernel's own:
 * ENOSPC when it fills, EROFS when it is turned read-only (a tmpfs remounted, or an ext4 file system that fails
 * with uploads open on it). Needs the right to mount (root, as CI and
 * the developers' machines run); without it the test fails and says so, it never passes unexercised.
 */
public final class SmallFileSystem implements AutoCloseable {

    private final Path dir;
    /** For an ext4 image: the image file and its loop device's name ({@code loop3}); null for a tmpfs. */
    private final Path image;
    private final String loop;
    private boolean mounted = true;

    private SmallFileSystem(Path dir, Path image, String loop) {
        this.dir = dir;
        this.image = image;
        this.loop = loop;
    }

    /** Mounts a tmpfs of {@code bytes} over {@code dir} (created if missing; what it held is hidden until close). */
    public static SmallFileSystem mount(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0755", "ferry-test", dir.toString());
        return new SmallFileSystem(dir, null, null);
    }

    /**
     * Mounts a fresh ext4 file system of {@code bytes} (an image file on a loop device) over {@code dir}, set to turn
     * read-only on an error, as a NAS volume does: {@link #failReadOnly()} then makes it refuse every write, files
     * already open for writing included.
     */
    public static SmallFileSystem ext4(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        Path image = Files.createTempFile("ferry-test-ext4-", ".img");
        String device = null;
        boolean mounted = false;
        try {
            run("truncate", "-s", String.valueOf(bytes), image.toString());
            run("mkfs.ext4", "-q", "-F", image.toString());
            device = output("losetup", "--find", "--show", image.toString()).trim();
            run("mount", "-o", "errors=remount-ro", device, dir.toString());
            mounted = true;
            Files.deleteIfExists(dir.resolve("lost+found")); // an account's home starts empty
            return new SmallFileSystem(dir, image, device.replace("/dev/", ""));
        } catch (IOException | RuntimeException e) {
            cleanUp(dir, mounted, device, image);
            throw e;
        }
    }

    /** Has the kernel find an error in the ext4 file system: it turns read-only at once (EROFS for every write). */
    public void failReadOnly() throws IOException {
        if (loop == null) {
            throw new IllegalStateException("only an ext4 file system can fail this way");
        }
        Files.writeString(Path.of("/sys/fs/ext4", loop, "trigger_fs_error"), "ferry test: the storage fails\n");
    }

    /** Gives the file system a new size (growing it frees room for a resume). */
    public void resize(long bytes) throws IOException {
        run("mount", "-o", "remount,size=" + bytes, dir.toString());
    }

    /** Turns the file system read-only (refused by the kernel while a file on it is open for writing). */
    public void readOnly() throws IOException {
        run("mount", "-o", "remount,ro", dir.toString());
    }

    /** Makes the file system writable again. */
    public void writable() throws IOException {
        run("mount", "-o", "remount,rw", dir.toString());
    }

    public Path path() {
        return dir;
    }

    /**
     * The NAS goes away: unmounted lazily, as a dead mount is (a handle still open keeps writing to the detached file
     * system; every path now leads to the empty directory it was mounted on).
     */
    public void unmount() throws IOException {
        run("umount", "-l", dir.toString());
        mounted = false;
    }

    /** The NAS comes back: an ext4 file system mounted again, with what it held. */
    public void mountAgain() throws IOException {
        if (loop == null) {
            throw new IllegalStateException("a tmpfs loses what it held when unmounted: only ext4 comes back");
        }
        run("mount", "-o", "errors=remount-ro", "/dev/" + loop, dir.toString());
        mounted = true;
    }

    /** Unmounts (lazily: a handle still open elsewhere does not keep the mount), and drops an ext4 image. */
    @Override
    public void close() throws IOException {
        cleanUp(dir, mounted, loop == null ? null : "/dev/" + loop, image);
    }

    /** Each step even when one before it failed; the first failure is thrown at the end. */
    private static void cleanUp(Path dir, boolean mounted, String device, Path image) throws IOException {
        IOException first = null;
        if (mounted) {
            try {
                run("umount", "-l", dir.toString());
            } catch (IOException e) {
                first = e;
            }
        }
        if (device != null) {
            try {
                run("losetup", "-d", device);
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (image != null) {
            Files.deleteIfExists(image);
        }
        if (first != null) {
            throw first;
        }
    }

    private static void run(String... command) throws IOException {
        output(command);
    }

    private static String output(String... command) throws IOException {
        List<String> line = new ArrayList<>(List.of(command));
        Process process = new ProcessBuilder(line).redirectErrorStream(true).start();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", line) + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", line), e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", line) + " failed (" + process.exitValue() + "): " + output
                    + " -- storage fault tests mount small file systems (tmpfs, ext4 on a loop device) and need to"
                    + " run as root");
        }
        return output;
    }
}
