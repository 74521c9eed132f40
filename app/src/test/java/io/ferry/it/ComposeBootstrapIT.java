package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker/bootstrap/bootstrap.sh}, the compose cluster's one-shot set-up, run with sh and curl against a real
 * node as the compose file runs it: it creates Prometheus's operator login and registers the edge, writing the
 * password file and the edge's config tree; a second run keeps them; a lost secret is reported, not papered over.
 */
class ComposeBootstrapIT extends NodeIT {

    @TempDir
    Path dir;

    @Test
    void theBootstrapShouldGivePrometheusALoginAndTheEdgeItsRegistration() throws Exception {
        String edge = uniqueUser("compose-edge");
        String prometheus = uniqueUser("prom");
        Run first = bootstrap(edge, prometheus);
        assertThat(first.exit).as(first.output).isZero();

        // Prometheus reads the node's metrics with what the bootstrap wrote, and may change nothing
        String password = Files.readString(dir.resolve("prometheus/prometheus.password"));
        assertThat(password).hasSizeGreaterThanOrEqualTo(24).doesNotContain("\n");
        Api operator = new Api(httpPort, prometheus, password);
        Api.Response scrape = operator.get("/actuator/prometheus");
        assertThat(scrape.status()).isEqualTo(200);
        assertThat(scrape.body()).contains("ferry_logins_total");
        assertThat(operator.post("/api/v1/edges", "{\"name\":\"" + edge + "-x\"}").status()).isEqualTo(403);

        // the edge's config tree: its name, its secret, and the host key the nodes' edge listener presents
        assertThat(Files.readString(dir.resolve("edge/ferry.edge.name"))).isEqualTo(edge);
        assertThat(Files.readString(dir.resolve("edge/ferry.edge.secret"))).matches("[A-Za-z0-9_-]{20,}");
        Api.Response edges = admin().get("/api/v1/edges");
        assertThat(edges.status()).isEqualTo(200);
        assertThat(edges.body()).contains("\"name\":\"" + edge + "\"");
        // the key to pin is the one every registration names (the nodes' edge-listener key)
        String hostKeys = Files.readString(dir.resolve("edge/ferry.edge.backend-host-keys"));
        assertThat(hostKeys).matches("SHA256:[A-Za-z0-9+/]{43}(,SHA256:[A-Za-z0-9+/]{43})*");
        Api.Response other = admin().post("/api/v1/edges", "{\"name\":\"" + edge + "-other\"}");
        assertThat(other.status()).isEqualTo(201);
        List<String> named = new ArrayList<>();
        for (int i = 0; i < other.json().path("hostKeys").size(); i++) {
            named.add(other.json().path("hostKeys").get(i).asString());
        }
        assertThat(String.join(",", named)).isEqualTo(hostKeys);

        // again: everything kept
        String secret = Files.readString(dir.resolve("edge/ferry.edge.secret"));
        Run again = bootstrap(edge, prometheus);
        assertThat(again.exit).as(again.output).isZero();
        assertThat(again.output).contains("kept");
        assertThat(Files.readString(dir.resolve("edge/ferry.edge.secret"))).isEqualTo(secret);
        assertThat(Files.readString(dir.resolve("prometheus/prometheus.password"))).isEqualTo(password);

        // a lost secret cannot be fetched again: the script says what to do and fails
        Files.delete(dir.resolve("edge/ferry.edge.secret"));
        Run lost = bootstrap(edge, prometheus);
        assertThat(lost.exit).isNotZero();
        assertThat(lost.output).contains("revoke it (DELETE /api/v1/edges/" + edge + ")");
    }

    @Test
    void aWrongAdminPasswordShouldStopTheBootstrapWithAClearMessage() throws Exception {
        Run run = bootstrap(uniqueUser("e"), uniqueUser("p"), "not-the-admin-password");
        assertThat(run.exit).isNotZero();
        assertThat(run.output).contains("the node refused the admin login (401)");
        assertThat(dir.resolve("edge/ferry.edge.secret")).doesNotExist();
    }

    private record Run(int exit, String output) {
    }

    private Run bootstrap(String edge, String prometheus) throws Exception {
        return bootstrap(edge, prometheus, ADMIN_PASSWORD);
    }

    private Run bootstrap(String edge, String prometheus, String adminPassword) throws Exception {
        List<String> command = new ArrayList<>(List.of("sh", Path.of("..", "docker", "bootstrap", "bootstrap.sh")
                .toAbsolutePath().normalize().toString()));
        Path output = Files.createTempFile("bootstrap", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().putAll(Map.of("FERRY_URL", "http://127.0.0.1:" + httpPort, "FERRY_ADMIN_PASSWORD",
                adminPassword, "FERRY_EDGE_NAME", edge, "PROMETHEUS_USER", prometheus, "BOOTSTRAP_DIR",
                dir.toString(), "WAIT_SECONDS", "30"));
        Process process = builder.start();
        boolean ended = process.waitFor(90, TimeUnit.SECONDS);
        if (!ended) {
            process.destroyForcibly();
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        Files.delete(output);
        assertThat(ended).as("the script ended: " + text).isTrue();
        return new Run(process.exitValue(), text);
    }
}
