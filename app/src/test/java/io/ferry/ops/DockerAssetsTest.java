package io.ferry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * {@code docker/}: the images and the compose cluster refer only to what the repository has and builds. There is
 * no Docker engine where the tests run, so this reads the files as Docker would: the compose file's services, build
 * targets, mounts, volumes and addresses; the Dockerfile's stages, the jars it copies (the names the Maven build
 * gives them), its users and health checks; every Ferry or Spring setting the environment sets, resolved with
 * Spring Boot's own environment-variable mapping to a property the documentation lists; and Prometheus's and
 * Grafana's paths against the mounts. {@code ComposeBootstrapIT} runs the bootstrap script against a real node.
 */
class DockerAssetsTest {

    private static final Path ROOT = ComposeFile.ROOT;
    private static final Path DOCKER = ComposeFile.DOCKER;
    private final ComposeFile files = new ComposeFile();

    @Test
    void theComposeFileShouldReferToWhatTheRepositoryHas() throws IOException {
        Map<String, Object> compose = files.root();
        Map<String, Object> services = files.services();
        assertThat(services).containsKeys("db", "node-a", "node-b", "bootstrap", "edge", "prometheus", "grafana");
        assertThat(map(services.get("db")).get("image")).isEqualTo("mysql:8.4");
        Set<String> stages = stages();
        Set<String> declaredVolumes = map(compose.get("volumes")).keySet();
        for (var service : services.entrySet()) {
            Map<String, Object> s = map(service.getValue());
            if (s.get("build") != null) {
                Map<String, Object> build = map(s.get("build"));
                Path context = DOCKER.resolve(String.valueOf(build.get("context"))).normalize();
                assertThat(context).as(service.getKey() + " build context").isEqualTo(ROOT);
                assertThat(context.resolve(String.valueOf(build.get("dockerfile")))).isRegularFile();
                assertThat(stages).as(service.getKey() + " build target").contains(String.valueOf(build.get("target")));
            }
            for (Object mount : list(s.get("volumes"))) {
                String source = String.valueOf(mount).split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(DOCKER.resolve(source).normalize()).as(service.getKey() + " mounts " + source).exists();
                } else {
                    assertThat(declaredVolumes).as(service.getKey() + " mounts the volume " + source).contains(source);
                }
            }
        }
        // the nodes share one NAS volume where the image puts the storage root, and find each other
        for (String node : List.of("node-a", "node-b")) {
            assertThat(list(map(services.get(node)).get("volumes"))).contains("nas:/nas");
        }
        assertThat(dockerfile()).contains("FERRY_STORAGE_ROOT=/nas");
        String a = address(services, "node-a");
        String b = address(services, "node-b");
        assertThat(files.environment("node-a")).containsEntry("FERRY_CLUSTER_BIND_ADDRESS", a)
                .containsEntry("FERRY_CLUSTER_MEMBERS", b + ":5701");
        assertThat(files.environment("node-b")).containsEntry("FERRY_CLUSTER_BIND_ADDRESS", b)
                .containsEntry("FERRY_CLUSTER_MEMBERS", a + ":5701");
        // the edge relays to both nodes' edge listeners (their default port) and reads what the bootstrap wrote
        assertThat(files.environment("edge")).containsEntry("FERRY_EDGE_BACKENDS", a + ":2223," + b + ":2223");
        assertThat(list(map(services.get("edge")).get("volumes"))).contains("edge-config:/run/ferry-edge:ro");
        assertThat(list(map(services.get("bootstrap")).get("volumes"))).contains("edge-config:/bootstrap/edge",
                "prometheus-secret:/bootstrap/prometheus");
        assertThat(dockerfile()).contains("SPRING_CONFIG_IMPORT=optional:configtree:/run/ferry-edge/");
    }

    @Test
    void prometheusAndGrafanaShouldFindWhatTheyAreGiven() throws IOException {
        Map<String, Object> services = files.services();
        String prometheus = Files.readString(DOCKER.resolve("prometheus/prometheus.yml"));
        // every scrape target is a service of the cluster, on the port its application serves actuator on
        Map<String, String> ports = Map.of("node-a", "8080", "node-b", "8080", "edge", "8081");
        Matcher targets = Pattern.compile("\"([a-z-]+):(\\d+)\"").matcher(prometheus);
        List<String> seen = new ArrayList<>();
        while (targets.find()) {
            assertThat(services).containsKey(targets.group(1));
            assertThat(targets.group(2)).as(targets.group(1)).isEqualTo(ports.get(targets.group(1)));
            seen.add(targets.group(1));
        }
        assertThat(seen).containsExactlyInAnyOrder("node-a", "node-b", "edge");
        // the operator's password: written by the bootstrap into the volume Prometheus mounts there
        assertThat(prometheus).contains("password_file: /run/ferry-prometheus/prometheus.password");
        assertThat(list(map(services.get("prometheus")).get("volumes")))
                .contains("prometheus-secret:/run/ferry-prometheus:ro", "./prometheus:/etc/prometheus:ro");
        assertThat(Files.readString(DOCKER.resolve("bootstrap/bootstrap.sh")))
                .contains("$BOOTSTRAP_DIR/prometheus/prometheus.password");
        // Grafana: provisioning and dashboards where the provisioning says
        assertThat(Files.readString(DOCKER.resolve("grafana/provisioning/dashboards/ferry.yml")))
                .contains("path: /var/lib/grafana/dashboards");
        assertThat(list(map(services.get("grafana")).get("volumes")))
                .contains("./grafana/dashboards:/var/lib/grafana/dashboards:ro");
        assertThat(Files.readString(DOCKER.resolve("grafana/provisioning/datasources/prometheus.yml")))
                .contains("url: http://prometheus:9090");
    }

    @Test
    void theImagesShouldRunTheJarsTheBuildMakesAsAnUnprivilegedUserWithAHealthCheck() throws IOException {
        String dockerfile = dockerfile();
        assertThat(stages()).contains("build", "node", "edge");
        Map<String, String> jars = Map.of("app", "ferry-app", "edge-gateway", "ferry-edge");
        for (var jar : jars.entrySet()) {
            assertThat(Files.readString(ROOT.resolve(jar.getKey()).resolve("pom.xml")))
                    .contains("<finalName>" + jar.getValue() + "</finalName>");
            assertThat(dockerfile).contains("COPY --from=build /src/" + jar.getKey() + "/target/" + jar.getValue()
                    + ".jar /opt/ferry/" + jar.getValue() + ".jar")
                    .contains("\"-jar\", \"/opt/ferry/" + jar.getValue() + ".jar\"");
        }
        for (String stage : List.of("node", "edge")) {
            String body = files.stage(stage);
            assertThat(body).as(stage).contains("USER ferry").contains("HEALTHCHECK")
                    .contains("/actuator/health/liveness");
        }
        Matcher copies = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(dockerfile);
        while (copies.find()) {
            if (!copies.group(1).equals(".")) {
                assertThat(ROOT.resolve(copies.group(1))).as("COPY " + copies.group(1)).exists();
            }
        }
        assertThat(Files.readString(ROOT.resolve("edge-gateway/src/main/resources/application.yml")))
                .as("the edge serves the liveness probe its health check asks for").contains("probes:");
        // COPY . . takes the repository: never the secrets' file, the history or what the host built
        assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains("docker/.env", ".git", "**/target");
        for (String service : List.of("node-a", "node-b", "edge")) {
            assertThat(files.service(service)).as(service + " has a memory limit for its JVM to size its heap by")
                    .containsKey("mem_limit");
        }
    }

    @Test
    void everySettingTheContainersGetShouldBeADocumentedProperty() throws IOException {
        Set<String> documented = new TreeSet<>();
        for (String doc : List.of("docs/configuration.md", "docs/edge.md")) {
            Matcher names = Pattern.compile("`((?:ferry|spring|server|logging)\\.[a-z0-9.-]+)`")
                    .matcher(Files.readString(ROOT.resolve(doc)));
            while (names.find()) {
                documented.add(names.group(1));
            }
        }
        documented.add("spring.config.import"); // Spring Boot's own
        assertThat(documented).contains("ferry.cluster.members", "ferry.edge.backends", "spring.datasource.url");
        Map<String, String> settings = new LinkedHashMap<>();
        for (String service : List.of("node-a", "node-b", "edge")) {
            settings.putAll(files.environment(service));
        }
        settings.putAll(files.imageEnvironment("node"));
        settings.putAll(files.imageEnvironment("edge"));
        assertThat(settings).containsKeys("FERRY_SECURITY_MASTER_KEY", "FERRY_EDGE_LISTENER_ENABLED",
                "LOGGING_STRUCTURED_FORMAT_CONSOLE",
                "SPRING_DATASOURCE_URL", "FERRY_DATA_DIR", "SPRING_CONFIG_IMPORT");
        List<String> unknown = new ArrayList<>();
        for (String variable : settings.keySet()) {
            if (!variable.matches("(FERRY|SPRING|LOGGING)_.*")) {
                continue;
            }
            ConfigurationPropertySource source = ConfigurationPropertySources.from(
                    new SystemEnvironmentPropertySource("env", Map.of(variable, "x"))).iterator().next();
            boolean bound = documented.stream().anyMatch(name -> source.getConfigurationProperty(
                    ConfigurationPropertyName.of(name)) != null);
            if (!bound) {
                unknown.add(variable);
            }
        }
        assertThat(unknown).as("variables that set no documented property").isEmpty();
    }

    private static String address(Map<String, Object> services, String service) {
        return String.valueOf(map(map(map(services.get(service)).get("networks")).get("ferry")).get("ipv4_address"));
    }

    private static Set<String> stages() throws IOException {
        Set<String> stages = new TreeSet<>();
        Matcher from = Pattern.compile("(?m)^FROM \\S+ AS (\\S+)$").matcher(dockerfile());
        while (from.find()) {
            stages.add(from.group(1));
        }
        return stages;
    }

    private static String dockerfile() throws IOException {
        return Files.readString(DOCKER.resolve("Dockerfile"));
    }

    private static Map<String, Object> map(Object value) {
        return ComposeFile.map(value);
    }

    private static List<Object> list(Object value) {
        return ComposeFile.list(value);
    }
}
