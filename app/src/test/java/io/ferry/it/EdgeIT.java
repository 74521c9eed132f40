package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.X509TrustManager;

import org.apache.commons.net.ftp.FTPSClient;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The edge gateway in front of a two-node active-passive cluster, every part its own JVM on loopback: stock OpenSSH
 * {@code sftp} through the edge (key and password), the cluster's identity at the edge, resume, a swap, a node
 * killed with SIGKILL mid-upload, garbage, a slowloris and a brute force at the door, and a revoked edge.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EdgeIT {

    private static final String ADMIN = "edge-it-admin-secret";
    private static final String PASSWORD = "partner-password-1";
    /** The edge's management token: the health endpoint's details are for it only. */
    private static final String EDGE_TOKEN = "edge-it-management-token";

    /** A process (node or edge) with its log. */
    abstract class Jvm {
        final String id;
        final int http = freePort();
        final Path log;
        Process process;

        Jvm(String id) {
            this.id = id;
            this.log = work.resolve(id + ".log");
        }

        void launch(List<String> command) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().put("FERRY_ADMIN_PASSWORD", ADMIN);
            builder.environment().put("FERRY_SECURITY_MASTER_KEY", masterKey);
            process = builder.start();
        }

        String logText() throws IOException {
            return Files.exists(log) ? Files.readString(log) : "";
        }

        HttpResponse<String> http(String method, String path, String body) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + path))
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("admin:" + ADMIN)
                            .getBytes(StandardCharsets.UTF_8)))
                    .header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body));
            return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        }

        JsonNode json(String method, String path, String body, int expected) throws Exception {
            HttpResponse<String> r = http(method, path, body);
            assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isEqualTo(expected);
            return mapper.readTree(r.body());
        }

        void kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
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

    final class Node extends Jvm {
        final int sftp = freePort();
        final int internal = freePort();
        final int hazelcast = freePort();

        Node(String id) {
            super(id);
        }

        void start(Node other) throws IOException {
            List<String> command = new ArrayList<>(TestJvm.jar("384m",
                    Path.of("target/ferry-app.jar").toAbsolutePath().toString()));
            command.addAll(List.of("--ferry.data-dir=" + work.resolve(id),
                    "--ferry.storage.root=" + work.resolve("nas"), "--server.port=" + http, "--server.address=127.0.0.1",
                    "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.enabled=false",
                    "--ferry.edge-listener.enabled=true", "--ferry.edge-listener.port=" + internal,
                    "--ferry.edge-listener.bind-address=127.0.0.1",
                    "--ferry.cluster.name=ferry-edge-it", "--ferry.cluster.node-id=" + id,
                    "--ferry.cluster.port=" + hazelcast, "--ferry.cluster.members=127.0.0.1:" + other.hazelcast,
                    "--ferry.cluster.mode=active-passive",
                    "--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
                    "--spring.datasource.password=" + db.password()));
            launch(command);
        }

        boolean started() throws IOException {
            return logText().contains("Started Ferry");
        }
    }

    final class Edge extends Jvm {
        final int sftp = freePort();
        final int explicit = freePort();
        final int implicit = freePort();
        final String passive = freePort() + "," + freePort() + "," + freePort();
        final String name;
        final List<String> extra;

        Edge() {
            this("edge-it", List.of());
        }

        Edge(String name, List<String> extra) {
            super(name.equals("edge-it") ? "edge" : name);
            this.name = name;
            this.extra = extra;
        }

        void start(String secret, List<String> hostKeys) throws IOException {
            List<String> command = new ArrayList<>(TestJvm.jar("256m",
                    Path.of("../edge-gateway/target/ferry-edge.jar").toAbsolutePath().toString()));
            command.addAll(List.of("--server.port=" + http, "--server.address=127.0.0.1",
                    "--ferry.edge.name=" + name, "--ferry.edge.secret=" + secret,
                    "--ferry.edge.management-token=" + EDGE_TOKEN,
                    "--ferry.edge.backends=127.0.0.1:" + a.internal + ",127.0.0.1:" + b.internal,
                    "--ferry.edge.backend-host-keys=" + String.join(",", hostKeys),
                    "--ferry.edge.sftp.port=" + sftp, "--ferry.edge.sftp.bind-address=127.0.0.1",
                    "--ferry.edge.ftps.explicit-port=" + explicit, "--ferry.edge.ftps.implicit-port=" + implicit,
                    "--ferry.edge.ftps.bind-address=127.0.0.1", "--ferry.edge.ftps.passive-ports=" + passive,
                    "--ferry.edge.limits.max-per-address=12", "--ferry.edge.limits.auth-timeout=5s",
                    "--ferry.edge.limits.connections-per-minute=1000", "--ferry.edge.limits.max-startups=100",
                    "--ferry.edge.limits.ban-after=4", "--ferry.edge.limits.ban-for=1h"));
            command.addAll(extra);
            launch(command);
        }

        double metric(String name) throws Exception {
            HttpResponse<String> r = http("GET", "/actuator/prometheus", null);
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body().lines().filter(l -> l.startsWith(name)).mapToDouble(
                    l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        }
    }

    Path work;
    TestDatabase.Server db;
    String masterKey;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final ObjectMapper mapper = new ObjectMapper();
    Node a;
    Node b;
    Edge edge;
    OpenSshClient sftp;
    List<String> hostKeys;
    SshClient mina;

    @BeforeAll
    void startClusterAndEdge() throws Exception {
        work = Files.createTempDirectory("ferry-edge-it-");
        db = TestDatabase.fresh();
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        masterKey = Base64.getEncoder().encodeToString(key);
        a = new Node("node-a");
        b = new Node("node-b");
        a.start(b);
        b.start(a);
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.process.isAlive()).as(a.logText()).isTrue();
            assertThat(b.process.isAlive()).as(b.logText()).isTrue();
            assertThat(a.started() && b.started()).isTrue();
        });

        JsonNode registered = a.json("POST", "/api/v1/edges", "{\"name\":\"edge-it\"}", 201);
        hostKeys = new ArrayList<>();
        registered.path("hostKeys").forEach(k -> hostKeys.add(k.asString()));
        assertThat(hostKeys).hasSize(1).allMatch(k -> k.startsWith("SHA256:"));
        assertThat(a.json("GET", "/api/v1/edges", null, 200).toString()).contains("\"edge-it\"")
                .contains("\"active\"").doesNotContain(registered.path("secret").asString());

        sftp = new OpenSshClient(Files.createDirectories(work.resolve("client")));
        a.json("POST", "/api/v1/accounts", "{\"username\":\"acme\",\"password\":\"" + PASSWORD + "\"}", 201);
        a.json("POST", "/api/v1/accounts/acme/keys", "{\"publicKey\":\"" + sftp.publicKey() + "\"}", 201);

        edge = new Edge();
        edge.start(registered.path("secret").asString(), hostKeys);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(edge.process.isAlive()).as(edge.logText()).isTrue();
            assertThat(edge.logText()).contains("SFTP listening on").contains("FTPS listening on");
        });
        mina = SshClient.setUpDefaultClient();
        mina.start();
    }

    @AfterAll
    void stopAll() throws Exception {
        if (mina != null) {
            mina.stop();
        }
        for (Jvm jvm : new Jvm[] {edge, a, b}) {
            if (jvm != null) {
                jvm.stop();
            }
        }
    }

    private Node primary() throws Exception {
        String holder = a.process.isAlive() ? a.json("GET", "/api/v1/cluster", null, 200).path("primary")
                .path("node").asString() : b.json("GET", "/api/v1/cluster", null, 200).path("primary")
                .path("node").asString();
        return holder.equals(a.id) ? a : b;
    }

    /** The newest transfer-log row, as any living node reports it. */
    private JsonNode lastTransfer() throws Exception {
        Node node = a.process.isAlive() ? a : b;
        return node.json("GET", "/api/v1/transfers?size=1", null, 200).path("items").get(0);
    }

    @Test
    @Order(1)
    void partnersShouldMoveFilesThroughTheEdgeWithTheClustersIdentity() throws Exception {
        Node primary = primary();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                edge.json("GET", "/actuator/health", null, 200).path("status").asString()).isEqualTo("UP"));
        // the nodes behind the edge and its bans are for its operator (the management token) only
        assertThat(edge.json("GET", "/actuator/health", null, 200).has("components")).isFalse();
        assertThat(bannedAtEdge()).isZero();

        // the edge presents the cluster's host key, the one the nodes present to partners; the nodes' edge
        // listener has a key of its own, the one edges pin, which no edge holds
        assertThat(presentedKey(edge.sftp)).isEqualTo(presentedKey(primary.sftp))
                .isNotEqualTo(presentedKey(primary.internal));
        assertThat(hostKeys).containsExactly(presentedKey(primary.internal));

        Path local = Files.createDirectories(work.resolve("local"));
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(content);
        Files.write(local.resolve("order.edi"), content);
        OpenSshClient.Result put = sftp.batch(edge.sftp, "acme", local, "put order.edi", "ls -l",
                "get order.edi back.edi");
        assertThat(put.exitCode()).as(put.output()).isZero();
        assertThat(Files.readAllBytes(local.resolve("back.edi"))).isEqualTo(content);

        JsonNode row = lastTransfer();
        assertThat(row.path("direction").asString()).isEqualTo("download");
        assertThat(row.path("edge").asString()).isEqualTo("edge-it");
        assertThat(row.path("clientAddress").asString()).isEqualTo("127.0.0.1");
        assertThat(row.path("node").asString()).isEqualTo(primary.id);
        // one session id from the edge's log lines through the node's to the transfer log
        String session = row.path("sessionId").asString();
        assertThat(session).matches("[0-9a-f]{12}");
        assertThat(edge.logText()).contains("[sftp " + session + " 127.0.0.1]");
        assertThat(primary.logText()).contains("Session " + session + " of edge 'edge-it'");

        // a password login through the edge, checked by the node
        OpenSshClient.Result pw = sftp.batchWithPassword(edge.sftp, "acme", PASSWORD, local, "ls");
        assertThat(pw.exitCode()).as(pw.output()).isZero();
        assertThat(pw.stdout()).contains("order.edi");
        OpenSshClient.Result wrong = sftp.batchWithPassword(edge.sftp, "acme", "not-the-password", local, "ls");
        assertThat(wrong.exitCode()).isNotZero();
        assertThat(wrong.stdout()).doesNotContain("order.edi");
    }

    /** The fingerprint of the host key an SSH server presents. */
    private String presentedKey(int port) throws Exception {
        AtomicReference<PublicKey> presented = new AtomicReference<>();
        mina.setServerKeyVerifier((session, address, key) -> {
            presented.set(key);
            return true;
        });
        try (ClientSession session = mina.connect("probe", "127.0.0.1", port).verify(Duration.ofSeconds(10))
                .getSession()) {
            session.waitFor(EnumSet.of(ClientSession.ClientSessionEvent.WAIT_AUTH, ClientSession.ClientSessionEvent.CLOSED),
                    Duration.ofSeconds(10));
        }
        return KeyUtils.getFingerPrint(presented.get());
    }

    @Test
    @Order(2)
    void theInternalListenerShouldTakeOnlyEdgesAndThePublicOneNoEdge() throws Exception {
        Node primary = primary();
        mina.setServerKeyVerifier((session, address, key) -> true);
        // a partner's own credentials do not open the internal listener
        try (ClientSession session = mina.connect("acme", "127.0.0.1", primary.internal)
                .verify(Duration.ofSeconds(10)).getSession()) {
            session.addPasswordIdentity(PASSWORD);
            assertThatThrownBy(() -> session.auth().verify(Duration.ofSeconds(10))).isInstanceOf(IOException.class);
        }
        // an edge cannot assert a user on the public listener
        try (ClientSession session = mina.connect("edge:edge-it", "127.0.0.1", primary.sftp)
                .verify(Duration.ofSeconds(10)).getSession()) {
            session.addPasswordIdentity("anything");
            assertThatThrownBy(() -> session.auth().verify(Duration.ofSeconds(10))).isInstanceOf(IOException.class);
        }
    }

    @Test
    @Order(4)
    void aDroppedUploadShouldResumeThroughTheEdge() throws Exception {
        Path local = work.resolve("local");
        byte[] content = new byte[2 * 1024 * 1024];
        new Random(11).nextBytes(content);
        Files.write(local.resolve("resume.bin"), content);
        writeHalfAndDrop("resume.bin", content);
        OpenSshClient.Result reput = sftp.batch(edge.sftp, "acme", local, "reput resume.bin",
                "get resume.bin resumed.bin");
        assertThat(reput.exitCode()).as(reput.output()).isZero();
        assertThat(Files.readAllBytes(local.resolve("resumed.bin"))).isEqualTo(content);
        JsonNode upload = primary().json("GET", "/api/v1/transfers?size=2", null, 200).path("items").get(1);
        assertThat(upload.path("direction").asString()).isEqualTo("upload");
        assertThat(upload.path("startOffset").asLong()).isEqualTo(content.length / 2);
    }

    @Test
    @Order(3)
    void ftpsPartnersShouldBeBridgedOntoTheNodesSftpAndResume() throws Exception {
        Path local = work.resolve("local");
        byte[] content = new byte[5 * 1024 * 1024 + 3];
        new Random(17).nextBytes(content);
        Path file = Files.write(local.resolve("ftps.bin"), content);
        String auth = "acme:" + PASSWORD;
        run("curl", "-sS", "--fail", "--ssl-reqd", "-k", "-u", auth, "-T", file.toString(),
                "ftp://127.0.0.1:" + edge.explicit + "/ftps.bin");
        Path back = local.resolve("ftps-back.bin");
        run("curl", "-sS", "--fail", "-k", "-u", auth, "-o", back.toString(),
                "ftps://127.0.0.1:" + edge.implicit + "/ftps.bin");
        assertThat(Files.readAllBytes(back)).isEqualTo(content);
        JsonNode row = lastTransfer();
        assertThat(row.path("protocol").asString()).isEqualTo("ftps");
        assertThat(row.path("direction").asString()).isEqualTo("download");
        assertThat(row.path("edge").asString()).isEqualTo("edge-it");
        assertThat(row.path("clientAddress").asString()).isEqualTo("127.0.0.1");
        // the node's file session took the id FtpServer gave the partner's session at the edge (its first 12)
        String session = row.path("sessionId").asString();
        assertThat(session).hasSize(12);
        assertThat(edge.logText()).containsPattern(java.util.regex.Pattern.quote(session)
                + "[0-9a-f-]{24}.*authenticated \\(FTPS password\\)");

        // an upload cut off after a second stays a partial upload on the node, and lftp's put -c continues it
        byte[] big = new byte[24 * 1024 * 1024];
        new Random(19).nextBytes(big);
        Path bigFile = Files.write(local.resolve("ftps-big.bin"), big);
        Process cut = new ProcessBuilder("curl", "-sS", "--ssl-reqd", "-k", "-u", auth, "--limit-rate", "4M",
                "--max-time", "1", "-T", bigFile.toString(), "ftp://127.0.0.1:" + edge.explicit + "/ftps-big.bin")
                .redirectErrorStream(true).start();
        assertThat(cut.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(cut.exitValue()).as("curl stopped by --max-time").isEqualTo(28);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(lastTransfer().path("error")
                .asString()).contains("connection closed before the file was closed"));
        JsonNode broken = lastTransfer();
        assertThat(broken.path("protocol").asString()).isEqualTo("ftps");
        assertThat(broken.path("edge").asString()).isEqualTo("edge-it");
        String output = run("lftp", "-c", String.join("; ", "set ssl:verify-certificate no",
                "set ftp:ssl-force true", "set ftp:ssl-protect-data true", "set net:max-retries 1",
                "set net:timeout 20", "open -u acme," + PASSWORD + " -p " + edge.explicit + " ftp://127.0.0.1",
                "put -c " + bigFile + " -o ftps-big.bin", "cls -l", "get ftps-big.bin -o "
                        + local.resolve("ftps-big-back.bin"), "bye"));
        assertThat(output).contains("ftps-big.bin");
        assertThat(Files.readAllBytes(local.resolve("ftps-big-back.bin"))).isEqualTo(big);
        JsonNode resumed = primary().json("GET", "/api/v1/transfers?size=2", null, 200).path("items").get(1);
        assertThat(resumed.path("direction").asString()).isEqualTo("upload");
        assertThat(resumed.path("status").asString()).isEqualTo("success");
        assertThat(resumed.path("startOffset").asLong()).isPositive().isEqualTo(broken.path("bytes").asLong());
    }

    /**
     * Issue 21: through the edge, over encrypted storage: paramiko's handles (random access, read-write, truncate,
     * fstat, append) and the stock clients over SFTP and bridged FTPS, as directly to a node.
     */
    @Test
    @Order(3)
    void handlesAndStockClientsShouldWorkThroughTheEdge() throws Exception {
        SftpHandles.check(path -> a.json("GET", path, null, 200), edge.sftp, "acme", PASSWORD, "edge-handles");
        StockClients.check("sftp", edge.sftp, "acme", PASSWORD, "edge-sftp");
        StockClients.check("ftps", edge.explicit, "acme", PASSWORD, "edge-ftps");
    }

    private String run(String... command) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command[0] + " did not finish: " + Files.readString(out));
        }
        String output = Files.readString(out);
        assertThat(process.exitValue()).as(command[0] + " output: " + output).isZero();
        return output;
    }

    /** Writes the first half of the file through the edge, then drops the connection without closing the file. */
    private ClientSession writeHalfAndDrop(String name, byte[] content) throws Exception {
        mina.setServerKeyVerifier((s, address, key) -> true);
        ClientSession session = mina.connect("acme", "127.0.0.1", edge.sftp).verify(Duration.ofSeconds(10))
                .getSession();
        session.addPublicKeyIdentity(keyPair());
        session.auth().verify(Duration.ofSeconds(10));
        SftpClient client = SftpClientFactory.instance().createSftpClient(session);
        SftpClient.CloseableHandle handle = client.open(name, SftpClient.OpenMode.Write, SftpClient.OpenMode.Create);
        client.write(handle, 0, content, 0, content.length / 2);
        session.close(true); // no close of the handle: an interrupted upload
        return session;
    }

    private KeyPair keyPair() throws Exception {
        try (InputStream in = Files.newInputStream(work.resolve("client").resolve("id_ed25519"))) {
            return SecurityUtils.loadKeyPairIdentities(null, () -> "it key", in, null).iterator().next();
        }
    }

    /**
     * Issue 19 item 4: every edge held the cluster's partner-facing private keys. An edge may now have its own host
     * key and certificate, which partners pin, and then never asks a node for the cluster's.
     */
    @Test
    @Order(4)
    void anEdgeWithItsOwnIdentityShouldPresentItAndAskForNoNodeKey() throws Exception {
        Path dir = Files.createDirectories(work.resolve("edge-own"));
        KeyPair own = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        Path keyFile = dir.resolve("host_key");
        try (OutputStream out = Files.newOutputStream(keyFile)) {
            new OpenSSHKeyPairResourceWriter().writePrivateKey(own, "edge-own", null, out);
        }
        Path keystore = dir.resolve("ftps.p12");
        run("keytool", "-genkeypair", "-alias", "edge", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=edge-own.example", "-validity", "30", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "edge-own-pass");
        for (Path file : List.of(keyFile, keystore)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        KeyStore p12 = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            p12.load(in, "edge-own-pass".toCharArray());
        }
        X509Certificate certificate = (X509Certificate) p12.getCertificate("edge");

        JsonNode registered = a.json("POST", "/api/v1/edges", "{\"name\":\"edge-own\"}", 201);
        Edge ownEdge = new Edge("edge-own", List.of("--ferry.edge.identity.host-keys=" + keyFile,
                "--ferry.edge.identity.tls-keystore=" + keystore,
                "--ferry.edge.identity.tls-keystore-password=edge-own-pass"));
        try {
            ownEdge.start(registered.path("secret").asString(), hostKeys);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertThat(ownEdge.process.isAlive()).as(ownEdge.logText()).isTrue();
                assertThat(ownEdge.logText()).contains("SFTP listening on").contains("FTPS listening on");
            });
            assertThat(presentedKey(ownEdge.sftp)).isEqualTo(KeyUtils.getFingerPrint(own.getPublic()));
            assertThat(ownEdge.logText()).contains("Presenting the edge's own host key")
                    .contains("Presenting the edge's own FTPS certificate").doesNotContain("Presenting the cluster's");

            // FTPS presents the edge's certificate; a partner logs in and moves a file through it
            List<X509Certificate> presented = new ArrayList<>();
            FTPSClient ftps = new FTPSClient(false);
            ftps.setTrustManager(new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                    presented.add(chain[0]);
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            });
            ftps.connect("127.0.0.1", ownEdge.explicit);
            try {
                assertThat(ftps.login("acme", PASSWORD)).isTrue();
            } finally {
                ftps.disconnect();
            }
            assertThat(presented).isNotEmpty();
            assertThat(presented.get(0).getEncoded()).isEqualTo(certificate.getEncoded());

            Path local = Files.createDirectories(work.resolve("local-own"));
            Files.writeString(local.resolve("own.txt"), "through the edge's own identity");
            OpenSshClient.Result put = sftp.batch(ownEdge.sftp, "acme", local, "put own.txt", "ls");
            assertThat(put.exitCode()).as(put.output()).isZero();
            assertThat(put.stdout()).contains("own.txt");
        } finally {
            ownEdge.stop();
        }
    }

    @Test
    @Order(5)
    void aSwapShouldMoveNewSessionsToTheNewPrimary() throws Exception {
        Node old = primary();
        Node next = old == a ? b : a;
        old.json("POST", "/api/v1/cluster/primary", "{\"node\":\"" + next.id + "\"}", 200);
        Path local = work.resolve("local");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            OpenSshClient.Result put = sftp.batch(edge.sftp, "acme", local, "put order.edi swapped.edi");
            assertThat(put.exitCode()).as(put.output()).isZero();
            assertThat(lastTransfer().path("node").asString()).isEqualTo(next.id);
        });
    }

    @Test
    @Order(6)
    void killingThePrimaryShouldCarryTheSessionOverToTheNewPrimary() throws Exception {
        Node victim = primary();
        Node survivor = victim == a ? b : a;
        Path local = work.resolve("local");
        byte[] content = new byte[4 * 1024 * 1024];
        new Random(13).nextBytes(content);

        mina.setServerKeyVerifier((s, address, key) -> true);
        ClientSession session = mina.connect("acme", "127.0.0.1", edge.sftp).verify(Duration.ofSeconds(10))
                .getSession();
        session.addPublicKeyIdentity(keyPair());
        session.auth().verify(Duration.ofSeconds(10));
        SftpClient client = SftpClientFactory.instance().createSftpClient(session);
        SftpClient.CloseableHandle handle = client.open("failover.bin", SftpClient.OpenMode.Write,
                SftpClient.OpenMode.Create);
        int half = content.length / 2;
        client.write(handle, 0, content, 0, half);

        victim.kill();
        long killed = System.nanoTime();
        // issue 23: in active-passive mode the partner's session waits for the new primary, and goes on there with
        // the handle it holds: the edge sends again what the dead node may not have kept
        client.write(handle, half, content, half, content.length - half);
        client.close(handle);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killed);
        assertThat(session.isOpen()).isTrue();
        client.close();
        session.close();

        OpenSshClient.Result get = sftp.batch(edge.sftp, "acme", local, "get failover.bin failover-back.bin");
        assertThat(get.exitCode()).as(get.output()).isZero();
        assertThat(Files.readAllBytes(local.resolve("failover-back.bin"))).isEqualTo(content);
        JsonNode upload = survivor.json("GET", "/api/v1/transfers?size=2", null, 200).path("items").get(1);
        assertThat(upload.path("node").asString()).isEqualTo(survivor.id);
        assertThat(upload.path("status").asString()).isEqualTo("success");
        // one row, for the whole file
        assertThat(upload.path("startOffset").asLong()).isZero();
        assertThat(upload.path("sha256").asString()).isEqualTo(SftpOperationsIT.sha256(content));
        assertThat(upload.path("edge").asString()).isEqualTo("edge-it");
        assertThat(seconds).as("seconds the partner's write waited for the new primary").isLessThan(20);
    }

    @Test
    @Order(7)
    void garbageAndASlowlorisShouldNotReachTheNodes() throws Exception {
        Node survivor = a.process.isAlive() ? a : b;
        int before = survivor.logText().split("Connection from", -1).length;
        // garbage on the SSH port: the edge closes the connection and stays up
        try (Socket socket = new Socket("127.0.0.1", edge.sftp)) {
            socket.setSoTimeout(10_000);
            byte[] junk = new byte[64 * 1024];
            new Random(3).nextBytes(junk);
            OutputStream out = socket.getOutputStream();
            out.write("SSH-2.0-junk\r\n".getBytes(StandardCharsets.US_ASCII));
            try {
                out.write(junk);
                out.flush();
                while (socket.getInputStream().read() >= 0) {
                    // drain until the edge closes
                }
            } catch (IOException expected) {
                // reset by the edge
            }
        }
        // a slowloris: connections that never authenticate; beyond the per-address limit the edge drops them
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                Socket socket = new Socket();
                socket.connect(new InetSocketAddress("127.0.0.1", edge.sftp), 5000);
                socket.setSoTimeout(8000);
                idle.add(socket);
            }
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                    edge.metric("ferry_edge_refused_total{reason=\"max-per-address\"")).isGreaterThanOrEqualTo(17));
            // the ones let in are closed by the authentication timeout
            int closed = 0;
            for (Socket socket : idle) {
                try {
                    InputStream in = socket.getInputStream();
                    byte[] buffer = new byte[256];
                    while (in.read(buffer) >= 0) {
                        // the banner, then the end of the stream
                    }
                    closed++;
                } catch (java.net.SocketTimeoutException e) {
                    // still open: not counted
                } catch (IOException e) {
                    closed++; // reset
                }
            }
            assertThat(closed).isEqualTo(30);
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        assertThat(survivor.logText().split("Connection from", -1).length).as("connections the node saw")
                .isEqualTo(before);
        assertThat(edge.json("GET", "/actuator/health", null, 200).path("status").asString()).isEqualTo("UP");
    }

    @Test
    @Order(8)
    void aBruteForceShouldGetTheAddressBannedBeforeTheNodesHearMore() throws Exception {
        Node survivor = a.process.isAlive() ? a : b;
        mina.setServerKeyVerifier((s, address, key) -> true);
        int refused = 0;
        for (int i = 0; i < 8; i++) {
            try (ClientSession session = mina.connect("mallory", "127.0.0.1", edge.sftp)
                    .verify(Duration.ofSeconds(10)).getSession()) {
                session.addPasswordIdentity("guess-" + i);
                session.auth().verify(Duration.ofSeconds(10));
            } catch (IOException | RuntimeException e) {
                refused++;
            }
        }
        assertThat(refused).isEqualTo(8);
        // with the wrong password of the first test, four failures: the nodes checked three of mallory's passwords,
        // and the ban kept the other five at the door
        String nodeLog = survivor.logText();
        assertThat(nodeLog.split(java.util.regex.Pattern.quote("via edge 'edge-it' of 'mallory' from 127.0.0.1) failed"),
                -1).length - 1)
                .isEqualTo(3);
        assertThat(edge.metric("ferry_edge_bans_total")).isEqualTo(1.0);
        assertThat(edge.metric("ferry_edge_refused_total{reason=\"banned\"")).isGreaterThanOrEqualTo(5);
        assertThat(edge.logText()).contains("Banned 127.0.0.1");
    }

    @Test
    @Order(9)
    void bansShouldBeSharedBetweenTheEdgeAndTheCluster() throws Exception {
        Node survivor = a.process.isAlive() ? a : b;
        // the edge's ban of the brute force reached the cluster: the node itself refuses the address now
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                survivor.json("GET", "/api/v1/defender/bans", null, 200).toString()).contains("\"127.0.0.1\""));
        assertThatThrownBy(() -> passwordLogin(survivor.sftp, PASSWORD)).isInstanceOf(IOException.class);
        assertThat(survivor.http("DELETE", "/api/v1/defender/bans/127.0.0.1", null).statusCode()).isEqualTo(204);
        passwordLogin(survivor.sftp, PASSWORD);

        // the cluster's bans reach the edge's door, and so does lifting them
        int before = bannedAtEdge();
        assertThat(before).isPositive(); // its own ban of the brute force
        survivor.json("POST", "/api/v1/defender/bans", "{\"address\":\"198.51.100.77\",\"minutes\":5}", 201);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(bannedAtEdge()).isEqualTo(before + 1));
        assertThat(survivor.http("DELETE", "/api/v1/defender/bans/198.51.100.77", null).statusCode()).isEqualTo(204);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(bannedAtEdge()).isEqualTo(before));

        // straight to a node, guessed passwords get the address banned by the cluster's defender (10 within a
        // window of 5 minutes by default; 20 guesses make 10 in one window whatever the clock)
        for (int i = 0; i < 20; i++) {
            int attempt = i;
            assertThatThrownBy(() -> passwordLogin(survivor.sftp, "guess-" + attempt)).isInstanceOf(IOException.class);
        }
        assertThat(survivor.json("GET", "/api/v1/defender/bans", null, 200).toString()).contains("\"127.0.0.1\"");
        assertThatThrownBy(() -> passwordLogin(survivor.sftp, PASSWORD)).isInstanceOf(IOException.class);
        assertThat(survivor.http("DELETE", "/api/v1/defender/bans/127.0.0.1", null).statusCode()).isEqualTo(204);
        passwordLogin(survivor.sftp, PASSWORD);
    }

    private int bannedAtEdge() throws Exception {
        HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.http
                + "/actuator/health")).header("Authorization", "Bearer " + EDGE_TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return mapper.readTree(health.body()).path("components").path("backends").path("details")
                .path("bannedAddresses").asInt(-1);
    }

    /** Logs in as acme with a password, straight to a node's SFTP port. */
    private void passwordLogin(int port, String password) throws IOException {
        mina.setServerKeyVerifier((s, address, key) -> true);
        try (ClientSession session = mina.connect("acme", "127.0.0.1", port).verify(Duration.ofSeconds(10))
                .getSession()) {
            session.addPasswordIdentity(password);
            session.auth().verify(Duration.ofSeconds(10));
        }
    }

    @Test
    @Order(10)
    void aRevokedEdgeShouldLoseItsNodes() throws Exception {
        Node survivor = a.process.isAlive() ? a : b;
        JsonNode revoked = survivor.json("DELETE", "/api/v1/edges/edge-it", null, 200);
        assertThat(revoked.path("status").asString()).isEqualTo("revoked");
        // the node closes the edge's control session; the edge cannot log in again and reports out of service
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(
                edge.http("GET", "/actuator/health", null).statusCode()).isEqualTo(503));
        assertThat(survivor.logText()).contains("Edge 'edge-it' refused");
    }

    private static int freePort() {
        return FreePorts.next();
    }
}
