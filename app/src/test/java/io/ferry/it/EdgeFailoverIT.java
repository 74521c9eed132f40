package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Issue 23: a transfer in flight through the edge survives the death of the node serving it. Three nodes (each its
 * own JVM, encryption at rest on, active-active) behind one edge; the stock OpenSSH {@code sftp} and {@code lftp}
 * (FTPS, bridged by the edge) move a 1 GiB file through the edge while the node serving it is killed with
 * {@code kill -9} at about a third of the way (an SFTP upload again at two thirds). The client must exit 0, the bytes
 * must be the same, and the transfer log must have one row, an upload's with the SHA-256 of the whole file.
 * Active-passive mode (the session waits for the new primary) is EdgeIT's.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeFailoverIT {

    private static final String ADMIN = "failover-admin-secret";
    private static final long SIZE = 1L << 30;
    private static final Pattern SERVED_BY = Pattern.compile("authenticated \\([\\w ]+\\) by node (\\S+)"
            + "|moved from node \\S+ to node (\\S+)");

    private static Path work;
    private static List<NodeProcess> nodes;
    private static EdgeProcess edge;
    private static TestDatabase.Server db;
    private static String masterKey;
    private static OpenSshClient openssh;
    private static final String PASSWORD = "failover-partner-password";
    /** The edge's most held upload bytes (its gauge) and resident memory, sampled while the tests run. */
    private static final AtomicLong mostHeld = new AtomicLong();
    private static final AtomicLong mostResident = new AtomicLong();
    private static long residentBefore;
    private static ScheduledExecutorService sampler;
    /** Nodes killed during the transfer under way: started again once it is over. */
    private static final List<NodeProcess> killed = new ArrayList<>();

    @BeforeAll
    static void cluster() throws Exception {
        work = Files.createTempDirectory("ferry-failover-it-");
        db = TestDatabase.fresh();
        masterKey = NodeProcess.randomMasterKey();
        nodes = List.of(new NodeProcess("node-a", work).withFullJit(), new NodeProcess("node-b", work).withFullJit(),
                new NodeProcess("node-c", work).withFullJit());
        for (NodeProcess node : nodes) {
            start(node);
        }
        NodeProcess.awaitStarted(nodes);
        NodeProcess any = nodes.get(0);
        any.createAccount(ADMIN, "acme", PASSWORD);
        openssh = new OpenSshClient(Files.createDirectories(work.resolve("client")));
        any.post(ADMIN, "/api/v1/accounts/acme/keys", "{\"publicKey\":\"" + openssh.publicKey() + "\"}");
        JsonNode registered = new ObjectMapper().readTree(any.post(ADMIN, "/api/v1/edges",
                "{\"name\":\"edge-failover\"}").body());
        List<String> hostKeys = new ArrayList<>();
        registered.path("hostKeys").forEach(key -> hostKeys.add(key.asString()));
        edge = new EdgeProcess("edge-failover", work).withFullJit().withFtps();
        edge.start(registered.path("secret").asString(), hostKeys, nodes);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(edge.alive()).as(edge.logText()).isTrue();
            assertThat(edge.started()).isTrue();
        });
        residentBefore = edge.residentBytes();
        sampler = Executors.newSingleThreadScheduledExecutor();
        sampler.scheduleWithFixedDelay(EdgeFailoverIT::sample, 0, 200, TimeUnit.MILLISECONDS);
    }

    private static void sample() {
        mostResident.accumulateAndGet(edge.residentBytes(), Math::max);
        try {
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + edge.http + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString());
            Matcher held = Pattern.compile("(?m)^ferry_edge_failover_held_bytes\\S* (\\S+)$")
                    .matcher(metrics.body());
            if (held.find()) {
                mostHeld.accumulateAndGet((long) Double.parseDouble(held.group(1)), Math::max);
            }
        } catch (IOException | RuntimeException e) {
            // the next sample
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void start(NodeProcess node) throws IOException {
        node.start(db, masterKey, ADMIN, nodes.stream().filter(n -> n != node).toList(),
                List.of("--ferry.storage.health-interval=1s"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (sampler != null) {
            sampler.shutdownNow();
            Matcher pause = Pattern.compile("carried over to node \\S+ in (\\d+ ms \\([^)]*\\))")
                    .matcher(edge.logText());
            List<String> pauses = new ArrayList<>();
            while (pause.find()) {
                pauses.add(pause.group(1));
            }
            System.out.printf("EdgeFailoverIT: SFTP pauses %s; the edge held at most %d bytes of uploads; its resident"
                    + " memory %d MiB before, at most %d MiB%n", pauses, mostHeld.get(), residentBefore >> 20,
                    mostResident.get() >> 20);
        }
        if (edge != null) {
            edge.stop();
        }
        if (nodes != null) {
            for (NodeProcess node : nodes) {
                node.stop();
            }
        }
    }

    /**
     * An upload through the edge whose serving node is killed at a third of the way, and the node that took it over
     * killed again at two thirds: the client never notices, and the file is published once, with one row whose
     * SHA-256 (the node's, read back from the storage when it completed) is the whole file's.
     */
    @Test
    @Order(1)
    void anUploadShouldSurviveTheDeathOfItsNodeTwice() throws Exception {
        Path file = randomFile("one.bin", 1);
        CompletableFuture<OpenSshClient.Result> put = sftp("put one.bin /one.bin");
        killServingNodeAt(SIZE / 3, () -> partSize("one.bin"), put);
        killServingNodeAt(2 * SIZE / 3, () -> partSize("one.bin"), put);
        OpenSshClient.Result result = finished(put);
        assertThat(result.exitCode()).as(result.output() + edgeLog()).isZero();
        assertOneUploadRow("/one.bin", sha256(file));
    }

    @Test
    @Order(2)
    void aDownloadShouldSurviveTheDeathOfItsNode() throws Exception {
        awaitStarted(2); // the node serving it and one to take it over
        Path copy = work.resolve("client/one-back.bin");
        CompletableFuture<OpenSshClient.Result> get = sftp("get /one.bin one-back.bin");
        killServingNodeAt(SIZE / 3, () -> size(copy), get);
        OpenSshClient.Result result = finished(get);
        assertThat(result.exitCode()).as(result.output() + edgeLog()).isZero();
        assertThat(sha256(copy)).isEqualTo(sha256(work.resolve("client/one.bin")));
        assertOneDownloadRow("/one.bin");
        Files.delete(copy);
    }

    /** The same through the edge's FTPS, bridged onto SFTP, with the stock {@code lftp} (which must not retry). */
    @Test
    @Order(3)
    void anFtpsUploadAndDownloadShouldSurviveTheDeathOfTheirNode() throws Exception {
        awaitStarted(2);
        Path file = work.resolve("client/one.bin");
        CompletableFuture<String> put = lftp("put " + file + " -o three.bin");
        killServingNodeAt(SIZE / 3, () -> partSize("three.bin"), put);
        finished(put);
        assertOneUploadRow("/three.bin", sha256(file));
        Path copy = work.resolve("client/three-back.bin");
        CompletableFuture<String> get = lftp("get three.bin -o " + copy);
        killServingNodeAt(SIZE / 3, () -> size(copy), get);
        finished(get);
        assertThat(sha256(copy)).isEqualTo(sha256(file));
        assertOneDownloadRow("/three.bin");
        Files.delete(copy);
    }

    /**
     * A session an administrator closes is closed for the partner, not carried over to another node as a dead node's
     * is (found by an attacker's read: the node's close looked like its death to the edge).
     */
    @Test
    @Order(4)
    void aSessionAnAdministratorClosesShouldNotBeCarriedOver() throws Exception {
        awaitStarted(2);
        try (SshClient client = SshClient.setUpDefaultClient()) {
            client.setServerKeyVerifier((s, address, key) -> true);
            client.start();
            ClientSession session = client.connect("acme", "127.0.0.1", edge.sftp).verify(Duration.ofSeconds(20))
                    .getSession();
            session.addPasswordIdentity(PASSWORD);
            session.auth().verify(Duration.ofSeconds(20));
            SftpClient sftp = SftpClientFactory.instance().createSftpClient(session);
            assertThat(sftp.stat("/").isDirectory()).isTrue();
            NodeProcess any = nodes.stream().filter(n -> n.alive() && startedQuietly(n)).findFirst().orElseThrow();
            // Another node's sessions are listed as it publishes them (every 2 s), so the list may not have it yet.
            String id = await().atMost(Duration.ofSeconds(15)).until(() -> sessionOf(any, "acme"), Objects::nonNull);
            any.delete(ADMIN, "/api/v1/sessions/" + id);
            assertThat(session.waitFor(EnumSet.of(ClientSession.ClientSessionEvent.CLOSED), Duration.ofSeconds(20)))
                    .contains(ClientSession.ClientSessionEvent.CLOSED);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(edge.logText())
                    .contains("could not be carried over to another node"));
        }
    }

    /** The id of the live session of {@code account} that {@code node} lists, or null while it lists none. */
    private static String sessionOf(NodeProcess node, String account) throws Exception {
        for (JsonNode listed : new ObjectMapper().readTree(node.get(ADMIN, "/api/v1/sessions").body())) {
            if (account.equals(listed.path("account").asString())) {
                return listed.path("id").asString();
            }
        }
        return null;
    }

    /** What {@code transfer} answered, once over; the nodes it killed start again. */
    private static <T> T finished(CompletableFuture<T> transfer) throws Exception {
        try {
            return transfer.get(10, TimeUnit.MINUTES);
        } finally {
            for (NodeProcess node : killed) {
                start(node);
            }
            killed.clear();
        }
    }

    private static boolean startedQuietly(NodeProcess node) {
        try {
            return node.started();
        } catch (IOException e) {
            return false;
        }
    }

    /** Waits until at least {@code count} nodes serve again. */
    private static void awaitStarted(int count) {
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).until(() -> {
            int started = 0;
            for (NodeProcess node : nodes) {
                started += node.alive() && node.started() ? 1 : 0;
            }
            return started >= count;
        });
    }

    /** Runs lftp over explicit FTPS through the edge in the background; its output, or a failure if it failed. */
    private static CompletableFuture<String> lftp(String command) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Process lftp = new ProcessBuilder("lftp", "-c", String.join("; ", "set ssl:verify-certificate no",
                        "set ftp:ssl-force true", "set ftp:ssl-protect-data true", "set net:max-retries 1",
                        "set net:timeout 120", "set xfer:clobber true",
                        "open -u acme," + PASSWORD + " -p " + edge.explicit + " ftp://127.0.0.1", command, "bye"))
                        .redirectErrorStream(true).start();
                String output = new String(lftp.getInputStream().readAllBytes());
                if (!lftp.waitFor(5, TimeUnit.MINUTES) || lftp.exitValue() != 0) {
                    throw new AssertionError("lftp " + command + " failed: " + output + edgeLog());
                }
                return output;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    /** Runs sftp through the edge in the background, logging in with the key. */
    private static CompletableFuture<OpenSshClient.Result> sftp(String command) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return openssh.batch(edge.sftp, "acme", work.resolve("client"), command);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * Once {@code progress} reaches {@code at}, kills the node serving the partner's session (as the edge's log last
     * said) with {@code kill -9}, and starts it again in the background.
     */
    private static void killServingNodeAt(long at, LongSupplier progress, CompletableFuture<?> transfer)
            throws Exception {
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> progress.getAsLong() >= at || transfer.isDone());
        assertThat(transfer).as("the transfer ended before the kill: " + edgeLog()).isNotDone();
        NodeProcess serving = servingNode();
        serving.kill();
        killed.add(serving);
    }

    /** The node the edge last said serves the session. */
    private static NodeProcess servingNode() throws IOException {
        Matcher m = SERVED_BY.matcher(edge.logText());
        String name = null;
        while (m.find()) {
            name = m.group(1) != null ? m.group(1) : m.group(2);
        }
        String serving = name;
        return nodes.stream().filter(n -> n.id.equals(serving)).findFirst()
                .orElseThrow(() -> new AssertionError("no node serves the session: " + edgeLog()));
    }

    private static void assertOneUploadRow(String path, String sha256) throws Exception {
        List<String> rows = db.column("SELECT CONCAT(outcome, ' ', start_offset, ' ', COALESCE(sha256, '-'))"
                + " FROM transfers WHERE path = '" + path + "' AND direction = 'UPLOAD'");
        assertThat(rows).as(path).containsExactly("SUCCESS 0 " + sha256);
    }

    /** One download row through the edge: the node that finished the download wrote it, the one that died none. */
    private static void assertOneDownloadRow(String path) throws Exception {
        List<String> rows = db.column("SELECT outcome FROM transfers WHERE path = '" + path
                + "' AND direction = 'DOWNLOAD' AND edge IS NOT NULL");
        assertThat(rows).as(path).containsExactly("SUCCESS");
    }

    /** A file of {@link #SIZE} random bytes in the client's directory. */
    private static Path randomFile(String name, long seed) throws IOException {
        Path file = work.resolve("client").resolve(name);
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer block = ByteBuffer.allocate(1 << 20);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < SIZE; written += block.capacity()) {
                block.clear();
                while (block.hasRemaining()) {
                    block.putLong(random.nextLong());
                }
                out.write(block.array());
            }
        }
        return file;
    }

    /** The size of the upload in progress of {@code name} on the NAS (its stored, encrypted size), or 0. */
    private static long partSize(String name) {
        try (Stream<Path> files = Files.walk(work.resolve("nas"))) {
            return files.filter(p -> p.getFileName().toString().equals(".ferry-part-" + name)).mapToLong(
                    EdgeFailoverIT::size).max().orElse(0);
        } catch (IOException | UncheckedIOException e) {
            return 0; // a directory listed while it changes
        }
    }

    private static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (var channel = Files.newByteChannel(file)) {
            while (channel.read(buffer.clear()) > 0) {
                digest.update(buffer.flip());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String edgeLog() {
        try {
            return "\n--- edge log:\n" + edge.logText();
        } catch (IOException e) {
            return "";
        }
    }
}
