package io.ferry.storage.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real, small kernel file system (tmpfs) mounted over a directory for a test, so that storage faults are the
 * kernel's own: ENOSPC when it fills, EROFS when it is turned read-only. Needs the right to mount (root, as CI and
 * the developers' machines run); without it the test fails and says so, it never passes unexercised.
 */
public final class SmallFileSystem implements AutoCloseable {

    private final Path dir;

    private SmallFileSystem(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code bytes} over {@code dir} (created if missing; what it held is hidden until close). */
    public static SmallFileSystem mount(Path dir, long bytes) throws IOException {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + bytes + ",mode=0755", "ferry-test", dir.toString());
        return new SmallFileSystem(dir);
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

    /** Unmounts (lazily: a handle still open elsewhere does not keep the mount). */
    @Override
    public void close() throws IOException {
        run("umount", "-l", dir.toString());
    }

    private static void run(String... command) throws IOException {
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
                    + " -- storage fault tests mount a small tmpfs and need to run as root");
        }
    }
}
