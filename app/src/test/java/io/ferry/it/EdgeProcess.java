package io.ferry.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An edge gateway as its own JVM on loopback, from the packaged jar, in front of {@link NodeProcess} nodes, for the
 * fault tests (issue 22): SFTP only, limits raised for a test that connects many times a second from 127.0.0.1.
 */
final class EdgeProcess {

    final String name;
    final int http = FreePorts.next();
    final int sftp = FreePorts.next();
    /** Explicit FTPS, when {@link #withFtps}. */
    final int explicit = FreePorts.next();
    private boolean ftps;
    final Path log;
    private Process process;
    private boolean fullJit;

    EdgeProcess(String name, Path work) {
        this.name = name;
        this.log = work.resolve(name + ".log");
    }

    /** Offers explicit FTPS too, on {@link #explicit}, with passive ports of its own. */
    EdgeProcess withFtps() {
        this.ftps = true;
        return this;
    }

    /** Runs the edge with C2 too ({@link TestJvm#jar(String, String, boolean)}): for tests that move large files. */
    EdgeProcess withFullJit() {
        this.fullJit = true;
        return this;
    }

    /**
     * Starts the edge registered as {@code name} with {@code secret}, in front of {@code backends}, trusting the
     * nodes' edge-listener host keys {@code hostKeys}.
     */
    void start(String secret, List<String> hostKeys, List<NodeProcess> backends) throws IOException {
        List<String> addresses = new ArrayList<>();
        backends.forEach(node -> addresses.add("127.0.0.1:" + node.internal));
        List<String> command = new ArrayList<>(TestJvm.jar("256m",
                Path.of("../edge-gateway/target/ferry-edge.jar").toAbsolutePath().toString(), fullJit));
        command.addAll(List.of("--server.port=" + http, "--server.address=127.0.0.1",
                "--ferry.edge.name=" + name, "--ferry.edge.secret=" + secret,
                "--ferry.edge.backends=" + String.join(",", addresses),
                "--ferry.edge.backend-host-keys=" + String.join(",", hostKeys),
                "--ferry.edge.sftp.port=" + sftp, "--ferry.edge.sftp.bind-address=127.0.0.1",
                "--ferry.edge.ftps.enabled=" + ftps, "--ferry.edge.ftps.implicit-enabled=false",
                "--ferry.edge.ftps.explicit-port=" + explicit, "--ferry.edge.ftps.bind-address=127.0.0.1",
                "--ferry.edge.ftps.passive-ports=" + FreePorts.next() + "," + FreePorts.next() + ","
                        + FreePorts.next(),
                "--ferry.edge.limits.connections-per-minute=100000", "--ferry.edge.limits.max-per-address=100",
                "--ferry.edge.limits.max-startups=100"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** The edge JVM's resident memory now, in bytes (0 when it is not running). */
    long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not running
        }
        return 0;
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** Whether it listens for partners. */
    boolean started() throws IOException {
        String text = Files.exists(log) ? Files.readString(log) : "";
        return text.contains("SFTP listening on") && (!ftps || text.contains("FTPS listening"));
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
