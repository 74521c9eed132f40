package io.ferry.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A NAS that is slow and can hang, for the storage-fault tests (issue 22): a FUSE file system
 * ({@code faults/slow_nas.py}, Debian's {@code python3-fusepy}) over a backing directory, each write, create and
 * fsync delayed; {@link #hang()} makes every operation wait, as an NFS hard mount whose server stopped answering
 * does, until {@link #answer()}. Stands in for a slow network file system: the kernel's own FUSE path, a real mount.
 */
final class SlowNas implements AutoCloseable {

    private final Path mountPoint;
    private final Path hangFile;
    private final Process process;

    private SlowNas(Path mountPoint, Path hangFile, Process process) {
        this.mountPoint = mountPoint;
        this.hangFile = hangFile;
        this.process = process;
    }

    /** Mounts it over {@code mountPoint} (created), kept in {@code backing}, each write delayed {@code delay}. */
    static SlowNas mount(Path backing, Path mountPoint, Duration delay) throws Exception {
        Files.createDirectories(backing);
        Files.createDirectories(mountPoint);
        Path script = backing.resolveSibling("slow_nas.py");
        try (InputStream in = SlowNas.class.getResourceAsStream("/faults/slow_nas.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path hangFile = backing.resolveSibling("slow-nas.hang");
        Process process = new ProcessBuilder("/usr/bin/python3", script.toString(), backing.toString(),
                mountPoint.toString(), "--delay-ms", String.valueOf(delay.toMillis()), "--hang-file",
                hangFile.toString()).redirectErrorStream(true)
                .redirectOutput(backing.resolveSibling("slow-nas.log").toFile()).start();
        SlowNas nas = new SlowNas(mountPoint, hangFile, process);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!nas.mounted()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                nas.close();
                throw new IllegalStateException("the slow NAS (FUSE, python3-fusepy) did not mount: "
                        + Files.readString(backing.resolveSibling("slow-nas.log")));
            }
            Thread.sleep(100);
        }
        return nas;
    }

    private boolean mounted() throws IOException {
        String point = " " + mountPoint.toAbsolutePath() + " ";
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .anyMatch(line -> line.contains(point) && line.contains("ferry-test-slow"));
    }

    /** Every operation on the NAS waits from now on (for ten minutes at most) until {@link #answer()}. */
    void hang() throws IOException {
        Files.writeString(hangFile, "hang\n");
    }

    /** The NAS answers again. */
    void answer() throws IOException {
        Files.deleteIfExists(hangFile);
    }

    /** Answers whatever waits, unmounts (lazily) and stops the FUSE process. */
    @Override
    public void close() throws IOException {
        answer();
        try {
            Process umount = new ProcessBuilder(List.of("umount", "-l", mountPoint.toString()))
                    .redirectErrorStream(true).start();
            umount.waitFor(30, TimeUnit.SECONDS);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
