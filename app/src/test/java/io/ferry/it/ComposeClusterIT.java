package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import io.ferry.ops.ComposeFile;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The compose cluster's configuration run as plain processes, since there is no Docker engine here: node-a, node-b
 * and the edge start with the environment {@code docker/compose.yaml} and the Dockerfile's {@code ENV} give them and
 * the images' entry points, and the bootstrap service's script sets them up. Only what a single host must change is
 * changed: addresses and ports become loopback ones, the {@code db} service is the tests' database, the volumes are
 * directories (the NAS one shared by both nodes). Then a partner moves a file through the edge, the session's id
 * is the same in the edge's and the node's JSON log lines and in the transfer log, and Prometheus's login reads the
 * metrics.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComposeClusterIT {

    private static final String PARTNER_PASSWORD = "compose-partner-1";

    private final ComposeFile compose = new ComposeFile();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper mapper = new ObjectMapper();
    private final List<Process> processes = new ArrayList<>();
    /** What docker/.env would hold. */
    private final Map<String, String> dotEnv = new HashMap<>();

    @AfterAll
    void stop() throws InterruptedException {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void theComposeClusterShouldRunAsPlainProcessesAndMoveAFileThroughTheEdge() throws Exception {
        Path work = Files.createTempDirectory("ferry-compose-it-");
        TestDatabase.Server db = TestDatabase.fresh();
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        dotEnv.putAll(Map.of("FERRY_DB_PASSWORD", "unused-here", "MYSQL_ROOT_PASSWORD", "unused-here",
                "FERRY_MASTER_KEY", Base64.getEncoder().encodeToString(key), "FERRY_ADMIN_PASSWORD",
                "compose-admin-secret", "GRAFANA_ADMIN_PASSWORD", "unused-here"));
        String cluster = "ferry-compose-it-" + ProcessHandle.current().pid();

        Map<String, Integer> hazelcast = Map.of("node-a", freePort(), "node-b", freePort());
        Map<String, Integer> api = Map.of("node-a", freePort(), "node-b", freePort());
        Map<String, Integer> internal = Map.of("node-a", freePort(), "node-b", freePort());
        for (String node : List.of("node-a", "node-b")) {
            String other = node.equals("node-a") ? "node-b" : "node-a";
            Map<String, String> env = containerEnvironment("node", node);
            // what one host changes: the db service, addresses and ports, volumes as directories
            env.put("SPRING_DATASOURCE_URL", db.url());
            env.put("SPRING_DATASOURCE_USERNAME", db.username());
            env.put("SPRING_DATASOURCE_PASSWORD", db.password());
            env.put("FERRY_CLUSTER_BIND_ADDRESS", "127.0.0.1");
            env.put("FERRY_CLUSTER_MEMBERS", "127.0.0.1:" + hazelcast.get(other));
            env.put("FERRY_CLUSTER_PORT", String.valueOf(hazelcast.get(node)));
            env.put("FERRY_CLUSTER_NAME", cluster);
            env.put("SERVER_PORT", String.valueOf(api.get(node)));
            env.put("SERVER_ADDRESS", "127.0.0.1");
            env.put("FERRY_SFTP_PORT", "0");
            env.put("FERRY_SFTP_BIND_ADDRESS", "127.0.0.1");
            env.put("FERRY_EDGE_LISTENER_PORT", String.valueOf(internal.get(node)));
            env.put("FERRY_EDGE_LISTENER_BIND_ADDRESS", "127.0.0.1");
            env.put("FERRY_DATA_DIR", work.resolve(node).toString());
            env.put("FERRY_STORAGE_ROOT", work.resolve("nas").toString());
            start(node, "node", env, work);
        }
        for (String node : List.of("node-a", "node-b")) {
            await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(processes.stream().allMatch(Process::isAlive)).as(log(work, node)).isTrue();
                assertThat(status("http://127.0.0.1:" + api.get(node) + "/actuator/health/liveness")).isEqualTo(200);
            });
        }

        // the bootstrap service, as compose runs it once node-a is up
        Map<String, String> bootstrap = compose.environment("bootstrap", dotEnv);
        bootstrap.put("FERRY_URL", "http://127.0.0.1:" + api.get("node-a"));
        bootstrap.put("BOOTSTRAP_DIR", work.resolve("bootstrap").toString());
        List<String> entrypoint = ComposeFile.list(compose.service("bootstrap").get("entrypoint")).stream()
                .map(String::valueOf).map(w -> w.replace("/opt/ferry/bootstrap.sh",
                        ComposeFile.DOCKER.resolve("bootstrap/bootstrap.sh").toString())).toList();
        ProcessBuilder once = new ProcessBuilder(entrypoint).redirectErrorStream(true)
                .redirectOutput(work.resolve("bootstrap.log").toFile());
        once.environment().putAll(bootstrap);
        Process setUp = once.start();
        processes.add(setUp); // stopped with the others if it hangs
        assertThat(setUp.waitFor(120, TimeUnit.SECONDS)).as(Files.readString(work.resolve("bootstrap.log"))).isTrue();
        assertThat(setUp.exitValue()).as(Files.readString(work.resolve("bootstrap.log"))).isZero();

        // the edge: its volume is the bootstrap's edge directory, read as the image's config tree
        Map<String, String> edgeEnv = containerEnvironment("edge", "edge");
        String configTree = compose.imageEnvironment("edge").get("SPRING_CONFIG_IMPORT");
        edgeEnv.put("SPRING_CONFIG_IMPORT", configTree.replace("/run/ferry-edge/",
                work.resolve("bootstrap/edge") + "/"));
        edgeEnv.put("FERRY_EDGE_BACKENDS", "127.0.0.1:" + internal.get("node-a") + ",127.0.0.1:"
                + internal.get("node-b"));
        int edgeSftp = freePort();
        int edgeHttp = freePort();
        edgeEnv.put("FERRY_EDGE_SFTP_PORT", String.valueOf(edgeSftp));
        edgeEnv.put("FERRY_EDGE_SFTP_BIND_ADDRESS", "127.0.0.1");
        edgeEnv.put("FERRY_EDGE_FTPS_EXPLICIT_PORT", String.valueOf(freePort()));
        edgeEnv.put("FERRY_EDGE_FTPS_IMPLICIT_PORT", String.valueOf(freePort()));
        edgeEnv.put("FERRY_EDGE_FTPS_BIND_ADDRESS", "127.0.0.1");
        edgeEnv.put("FERRY_EDGE_FTPS_PASSIVE_PORTS", freePort() + "," + freePort());
        edgeEnv.put("SERVER_PORT", String.valueOf(edgeHttp));
        edgeEnv.put("SERVER_ADDRESS", "127.0.0.1");
        Process edge = start("edge", "edge", edgeEnv, work);
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            assertThat(edge.isAlive()).as(log(work, "edge")).isTrue();
            assertThat(log(work, "edge")).contains("SFTP listening on");
            assertThat(status("http://127.0.0.1:" + edgeHttp + "/actuator/health/liveness")).isEqualTo(200);
        });

        // a partner account, and a file through the edge with MINA's client
        String admin = "admin:" + dotEnv.get("FERRY_ADMIN_PASSWORD");
        assertThat(request("POST", "http://127.0.0.1:" + api.get("node-a") + "/api/v1/accounts", admin,
                "{\"username\":\"acme\",\"password\":\"" + PARTNER_PASSWORD + "\"}").statusCode()).isEqualTo(201);
        byte[] content = new byte[2 * 1024 * 1024 + 5];
        new Random(23).nextBytes(content);
        SshClient client = SshClient.setUpDefaultClient();
        client.start();
        try (ClientSession session = client.connect("acme", "127.0.0.1", edgeSftp).verify(Duration.ofSeconds(10))
                .getSession()) {
            session.addPasswordIdentity(PARTNER_PASSWORD);
            session.auth().verify(Duration.ofSeconds(20));
            try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
                try (OutputStream out = sftp.write("/order.edi")) {
                    out.write(content);
                }
                try (var in = sftp.read("/order.edi")) {
                    assertThat(in.readAllBytes()).isEqualTo(content);
                }
            }
        } finally {
            client.stop();
        }
        assertThat(work.resolve("nas/acme/order.edi")).exists();

        // the transfer log names the edge the bootstrap registered, and the session's id is the edge's
        HttpResponse<String> rows = request("GET", "http://127.0.0.1:" + api.get("node-b")
                + "/api/v1/transfers?account=acme&size=1", admin, null);
        JsonNode row = mapper.readTree(rows.body()).path("items").get(0);
        assertThat(row.path("edge").asString()).isEqualTo(compose.environment("bootstrap", dotEnv)
                .get("FERRY_EDGE_NAME"));
        String sessionId = row.path("sessionId").asString();
        assertThat(sessionId).matches("[0-9a-f]{12}");
        // JSON log lines (LOGGING_STRUCTURED_FORMAT_CONSOLE from the compose file) with the id as a field
        assertThat(jsonLinesWithSession(work, "edge", sessionId)).isNotEmpty();
        String servedBy = row.path("node").asString();
        assertThat(jsonLinesWithSession(work, servedBy, sessionId)).anySatisfy(line ->
                assertThat(line.path("message").asString()).contains("of edge"));

        // Prometheus's read-only login, as the bootstrap wrote its password file
        String password = Files.readString(work.resolve("bootstrap/prometheus/prometheus.password"));
        HttpResponse<String> scrape = request("GET", "http://127.0.0.1:" + api.get("node-a")
                + "/actuator/prometheus", "prometheus:" + password, null);
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("ferry_logins_total").contains("ferry_cluster_members");
    }

    /** The container's environment: the image's ENV, then the compose service's, variables from docker/.env. */
    private Map<String, String> containerEnvironment(String stage, String service) {
        Map<String, String> env = new HashMap<>(compose.imageEnvironment(stage));
        env.putAll(compose.environment(service, dotEnv));
        // the container's memory limit, here: three JVMs share the test machine
        env.put("JAVA_TOOL_OPTIONS", env.getOrDefault("JAVA_TOOL_OPTIONS", "") + " -Xmx384m");
        return env;
    }

    /** Starts what the image's ENTRYPOINT runs, the image's jar being the one the build made. */
    private Process start(String name, String stage, Map<String, String> env, Path work) throws IOException {
        List<String> command = new ArrayList<>();
        for (String word : compose.entrypoint(stage)) {
            command.add(switch (word) {
                case "java" -> ProcessHandle.current().info().command().orElse("java");
                case "/opt/ferry/ferry-app.jar" -> Path.of("target/ferry-app.jar").toAbsolutePath().toString();
                case "/opt/ferry/ferry-edge.jar" -> Path.of("../edge-gateway/target/ferry-edge.jar")
                        .toAbsolutePath().normalize().toString();
                default -> word;
            });
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    private List<JsonNode> jsonLinesWithSession(Path work, String process, String sessionId) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log(work, process).split("\n")) {
            if (line.startsWith("{") && line.contains(sessionId)) {
                JsonNode json = mapper.readTree(line);
                if (sessionId.equals(json.path("session").asString())) {
                    lines.add(json);
                }
            }
        }
        return lines;
    }

    private static String log(Path work, String process) {
        try {
            Path file = work.resolve(process + ".log");
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private HttpResponse<String> request(String method, String url, String credentials, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        credentials.getBytes(StandardCharsets.UTF_8)))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() {
        return FreePorts.next();
    }
}
