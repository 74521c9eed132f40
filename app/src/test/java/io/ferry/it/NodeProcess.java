package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import tools.jackson.databind.ObjectMapper;

/**
 * A transfer node as its own JVM on loopback, from the packaged jar, for the tests that break things around nodes
 * (issue 22): its ports, its log, and what can be seen of it from outside without the database (whether it serves
 * partners, which in active-passive mode only the primary does).
 */
final class NodeProcess {

    final String id;
    final int http = FreePorts.next();
    final int sftp = FreePorts.next();
    final int hazelcast = FreePorts.next();
    /** The edge listener: where an edge gateway reaches this node. */
    final int internal = FreePorts.next();
    final Path log;
    private final Path work;
    private final List<String> wrapper = new ArrayList<>();
    /** The loopback address its Hazelcast member binds ({@code 127.0.0.1} unless {@link #withAddress}). */
    private String address = "127.0.0.1";
    private Process process;
    private boolean fullJit;
    /** Where this start's lines begin in the log (a node started again appends to it). */
    private long logStart;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    NodeProcess(String id, Path work) {
        this.id = id;
        this.work = work;
        this.log = work.resolve(id + ".log");
    }

    /** A fresh master key (base64 of 32 random bytes), one for all the nodes of a test's cluster. */
    static String randomMasterKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** Creates the partner account {@code username} through this node's API, as the administrator. */
    void createAccount(String adminPassword, String username, String password) throws Exception {
        post(adminPassword, "/api/v1/accounts", "{\"username\":\"" + username + "\",\"password\":\"" + password
                + "\"}");
    }

    /** POSTs {@code json} to {@code path} on this node's API as the administrator; anything but 2xx fails. */
    HttpResponse<String> post(String adminPassword, String path, String json) throws Exception {
        return send(adminPassword, path, "POST", json);
    }

    /** PATCHes {@code path} with {@code json} on this node's API as the administrator; anything but 2xx fails. */
    HttpResponse<String> patch(String adminPassword, String path, String json) throws Exception {
        return send(adminPassword, path, "PATCH", json);
    }

    /** DELETEs {@code path} on this node's API as the administrator; anything but 2xx fails. */
    HttpResponse<String> delete(String adminPassword, String path) throws Exception {
        return send(adminPassword, path, "DELETE", "");
    }

    private HttpResponse<String> send(String adminPassword, String path, String method, String json)
            throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .header("Authorization", basic(adminPassword))
                .method(method, HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response;
    }

    /** GET {@code path} (from {@code /}) on this node's HTTP port, as the administrator. */
    HttpResponse<String> get(String adminPassword, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path))
                .timeout(Duration.ofSeconds(20)).header("Authorization", basic(adminPassword)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String adminPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + adminPassword)
                .getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Binds the node's cluster member to a loopback address of its own ({@code 127.0.0.13}), so that its cluster
     * traffic can be told from the others' (a partition cuts one address off).
     */
    NodeProcess withAddress(String loopback) {
        this.address = loopback;
        return this;
    }

    String address() {
        return address;
    }

    /** Runs the node with C2 too ({@link TestJvm#jar(String, String, boolean)}): for tests that move large files. */
    NodeProcess withFullJit() {
        this.fullJit = true;
        return this;
    }

    /**
     * Runs the node with its clock {@code offset} off the real one ({@code +120s}), by Debian's {@code faketime}
     * (libfaketime under the JVM): a node whose clock jumped.
     */
    NodeProcess withClockOffset(String offset) {
        wrapper.addAll(List.of("faketime", "-f", offset));
        return this;
    }

    /**
     * Starts the node on the shared storage {@code work/nas} and the database {@code db}, joining {@code peers},
     * with {@code extra} settings.
     */
    void start(TestDatabase.Server db, String masterKey, String adminPassword, List<NodeProcess> peers,
            List<String> extra) throws IOException {
        List<String> members = new ArrayList<>();
        peers.forEach(p -> members.add(p.address + ":" + p.hazelcast));
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(TestJvm.jar("512m", Path.of("target/ferry-app.jar").toAbsolutePath().toString(), fullJit));
        command.addAll(List.of("--ferry.data-dir=" + work.resolve(id), "--ferry.storage.root=" + work.resolve("nas"),
                "--server.port=" + http, "--server.address=127.0.0.1",
                "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.enabled=false",
                // the tests watch the nodes from 127.0.0.1 several times a second, besides their partners' sessions
                "--ferry.sftp.limits.connections-per-minute=100000",
                "--ferry.edge-listener.enabled=true", "--ferry.edge-listener.port=" + internal,
                "--ferry.edge-listener.bind-address=127.0.0.1",
                "--ferry.cluster.name=ferry-" + work.getFileName(), "--ferry.cluster.node-id=" + id,
                "--ferry.cluster.port=" + hazelcast, "--ferry.cluster.bind-address=" + address,
                "--ferry.cluster.members=" + String.join(",", members),
                "--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
                "--spring.datasource.password=" + db.password()));
        command.addAll(extra);
        logStart = Files.exists(log) ? Files.size(log) : 0;
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("FERRY_ADMIN_PASSWORD", adminPassword);
        builder.environment().put("FERRY_SECURITY_MASTER_KEY", masterKey);
        process = builder.start();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** Whether the node, as last started, has finished starting. */
    boolean started() throws IOException {
        if (!Files.exists(log)) {
            return false;
        }
        String text = logText();
        return text.length() > logStart && text.substring((int) Math.min(logStart, text.length()))
                .contains("Started Ferry");
    }

    /** Waits (3 minutes at most) until each of {@code nodes} runs and has finished starting. */
    static void awaitStarted(List<NodeProcess> nodes) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (NodeProcess node : nodes) {
                assertThat(node.alive()).as(node.logText()).isTrue();
                assertThat(node.started()).as(node.id).isTrue();
            }
        });
    }

    /** Waits (90 s at most) until each of {@code nodes} sees {@code count} members in its cluster. */
    static void awaitMembers(List<NodeProcess> nodes, String adminPassword, int count) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (NodeProcess node : nodes) {
                String body = node.get(adminPassword, "/api/v1/cluster").body();
                assertThat(JSON.readTree(body).path("members").size()).as(node.id + ": " + body).isEqualTo(count);
            }
        });
    }

    /** Whether the node says it holds the primary role ({@code /actuator/health/cluster}); false without an answer. */
    boolean reportsPrimary(String adminPassword) {
        try {
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/actuator/health/cluster")).timeout(Duration.ofSeconds(2))
                    .header("Authorization", basic(adminPassword)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return health.body().contains("\"role\":\"primary\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The SFTP port of {@code node}, or null for none (a test's choice of target that found no node). */
    static Integer sftpOf(NodeProcess node) {
        return node == null ? null : node.sftp;
    }

    /** Whether the SFTP port takes a connection and answers with an SSH banner. */
    boolean servesSftp() {
        return servesSftp(sftp);
    }

    /** Whether {@code port} on loopback takes a connection and answers with an SSH banner. */
    static boolean servesSftp(int port) {
        return sftpProbe(port) == null;
    }

    /** Why {@code port} on loopback does not answer with an SSH banner within 5 s; null when it does. */
    static String sftpProbe(int port) {
        return sftpProbe(port, Duration.ofSeconds(5));
    }

    /** Why {@code port} on loopback does not answer with an SSH banner within {@code wait}; null when it does. */
    static String sftpProbe(int port, Duration wait) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout((int) wait.toMillis());
            byte[] banner = new byte[4];
            int read = socket.getInputStream().readNBytes(banner, 0, 4);
            String start = new String(banner, 0, read, StandardCharsets.US_ASCII);
            return start.equals("SSH-") ? null : "answered '" + start + "'";
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** SIGKILL: no shutdown hook, no lease released. */
    void kill() throws InterruptedException {
        if (alive()) {
            // the JVM itself, which a wrapper (faketime) runs as its child, then the wrapper
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Stops the node (SIGTERM), or kills it when it does not stop in time; its JVM too, under a wrapper. */
    void stop() throws InterruptedException {
        if (process == null) {
            return;
        }
        List<ProcessHandle> jvms = process.descendants().toList();
        jvms.forEach(ProcessHandle::destroy);
        process.destroy();
        for (ProcessHandle jvm : jvms) {
            try {
                jvm.onExit().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                jvm.destroyForcibly();
            }
        }
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
