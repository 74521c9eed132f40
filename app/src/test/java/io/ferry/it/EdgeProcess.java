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
    final Path log;
    private Process process;
    private boolean fullJit;

    EdgeProcess(String name, Path work) {
        this.name = name;
        this.log = work.resolve(name + ".log");
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
                "--ferry.edge.ftps.enabled=false",
                "--ferry.edge.limits.connections-per-minute=100000", "--ferry.edge.limits.max-per-address=100",
                "--ferry.edge.limits.max-startups=100"));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** Whether it listens for partners. */
    boolean started() throws IOException {
        return Files.exists(log) && Files.readString(log).contains("SFTP listening on");
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
