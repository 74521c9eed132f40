package io.ferry.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.springframework.util.FileSystemUtils;

/**
 * The command line the tests start node and edge JVMs with: this JVM's {@code java}, a heap cap, and flags that make
 * a Spring Boot start faster where several JVMs share two cores (C1 only, one compiler thread, the serial collector;
 * measured: three nodes started at once in 48 s instead of 79 s). The jar runs as docs/operations.md's "Starting
 * faster" says: extracted ({@code -Djarmode=tools extract}, once per build of the jar), and a node with a class data
 * sharing archive made by one training start (a node ready in ~8 s instead of ~20 s here, two fifths of the CPU). Not
 * for {@code ExecutableJarIT}, which starts the jar exactly as the README says.
 */
final class TestJvm {

    /** The node's jar: the one whose starts the tests count in dozens, trained for a class data sharing archive. */
    private static final String NODE_JAR = "ferry-app.jar";
    /** Where the extraction and the training write their output, in the folder they ran in. */
    private static final String LOG = "launch.log";
    private static final Map<Path, Launch> LAUNCHES = new HashMap<>();

    private TestJvm() {
    }

    /** {@code java -Xmx<heap> <flags> -jar <jar>}, to which the caller adds its arguments. */
    static List<String> jar(String heap, String jar) {
        return jar(heap, jar, false);
    }

    /**
     * As {@link #jar(String, String)}; with {@code fullJit}, the JVM compiles with C2 as well: slower to start, but
     * several times faster at moving a large file (the SSH ciphers and the storage's encryption are intrinsics and
     * vector code only C2 compiles).
     */
    static List<String> jar(String heap, String jar, boolean fullJit) {
        Launch launch = launch(Path.of(jar));
        List<String> command = new ArrayList<>(flags(heap, fullJit));
        if (launch.archive() != null) {
            command.add("-XX:SharedArchiveFile=" + launch.archive());
        }
        command.addAll(List.of("-jar", launch.jar().toString()));
        return command;
    }

    private static List<String> flags(String heap, boolean fullJit) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.add("-Xmx" + heap);
        if (!fullJit) {
            command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1"));
        }
        command.add("-XX:+UseSerialGC");
        return command;
    }

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    /** The extracted jar, and the archive of the classes a start loads (null where there is none). */
    private record Launch(Path jar, Path archive) {
    }

    /**
     * {@code jar} extracted next to it ({@code target/launch/<name>/}), and for the node's jar a class data sharing
     * archive from one start that exits once its context is refreshed; both made again when the jar changed. A
     * training start that fails leaves the node without an archive (the JVM starts the same, only slower), and says so.
     */
    private static synchronized Launch launch(Path jar) {
        Launch known = LAUNCHES.get(jar);
        if (known != null) {
            return known;
        }
        try {
            String name = jar.getFileName().toString();
            Path dir = jar.resolveSibling("launch").resolve(name.replaceFirst("\\.jar$", ""));
            Path extracted = dir.resolve(name);
            Path archive = dir.resolve("classes.jsa");
            Path stamp = dir.resolve("source");
            String source = Files.size(jar) + " " + Files.getLastModifiedTime(jar).toMillis();
            if (!Files.exists(stamp) || !Files.readString(stamp).equals(source) || !Files.exists(extracted)) {
                FileSystemUtils.deleteRecursively(dir);
                if (!run(List.of(java(), "-Djarmode=tools", "-jar", jar.toString(), "extract", "--destination",
                        dir.toString()), dir.getParent(), "extracting " + name)) {
                    throw new IllegalStateException("could not extract " + jar + ": see "
                            + dir.getParent().resolve(LOG));
                }
                // a training that failed is tried again by the next run on the same jar
                if (!NODE_JAR.equals(name) || train(extracted, archive)) {
                    Files.writeString(stamp, source);
                }
            }
            Launch launch = new Launch(extracted, Files.exists(archive) ? archive : null);
            LAUNCHES.put(jar, launch);
            return launch;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * One start of the node that exits after its context refreshed, recording the classes it loaded; whether the
     * archive was made.
     */
    private static boolean train(Path extracted, Path archive) throws IOException {
        Path data = Files.createTempDirectory("ferry-cds-training-");
        try {
            List<String> command = new ArrayList<>(flags("512m", false));
            command.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Dspring.context.exit=onRefresh",
                    "-jar", extracted.toString(), "--ferry.data-dir=" + data, "--server.port=0",
                    "--server.address=127.0.0.1", "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                    "--ferry.ftps.enabled=false", "--ferry.cluster.port=" + FreePorts.next(),
                    "--ferry.cluster.bind-address=127.0.0.1", "--ferry.cluster.name=ferry-cds-training",
                    "--logging.level.root=WARN"));
            if (!run(command, extracted.getParent(), "training the node's class data sharing archive")) {
                Files.deleteIfExists(archive);
            }
            return Files.exists(archive);
        } finally {
            FileSystemUtils.deleteRecursively(data);
        }
    }

    /** Runs {@code command} in {@code dir} (3 minutes at most); whether it exited 0. Its output goes to a log there. */
    private static boolean run(List<String> command, Path dir, String what) throws IOException {
        Files.createDirectories(dir);
        Path log = dir.resolve(LOG);
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // none of this JVM's Ferry or Spring settings: the training start must not reach a database or cluster
        builder.environment().keySet().removeIf(name -> name.startsWith("FERRY_") || name.startsWith("SPRING_"));
        builder.environment().put("FERRY_ADMIN_PASSWORD", "cds-training-" + System.nanoTime());
        long start = System.nanoTime();
        Process process = builder.start();
        try {
            boolean done = process.waitFor(3, TimeUnit.MINUTES);
            if (!done) {
                process.destroyForcibly();
            }
            boolean ok = done && process.exitValue() == 0;
            System.out.printf("TestJvm: %s %s in %d s%s%n", what, ok ? "done" : "FAILED",
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start), ok ? "" : " (see " + log + ")");
            return ok;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
