package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the README promises a new user: {@code java -jar app/target/ferry-app.jar} in an empty directory, settings
 * from environment variables, then {@code curl} to create a partner and the OpenSSH {@code sftp} to upload.
 */
class ExecutableJarIT {

    private static final Pattern HTTP_PORT = Pattern.compile("Tomcat started on port (\\d+)");
    private static final Pattern SFTP_PORT = Pattern.compile("SFTP listening on [^:]+:(\\d+)");

    @TempDir
    Path workDir;

    private Process node;

    @AfterEach
    void stop() throws InterruptedException {
        if (node != null) {
            node.destroy();
            if (!node.waitFor(30, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
    }

    @Test
    void jarShouldRunAWholeNodeFromEnvironmentSettingsAlone() throws Exception {
        Path jar = Path.of("target/ferry-app.jar").toAbsolutePath();
        assertThat(jar).as("built by 'mvn package' before the integration tests").exists();
        Path log = workDir.resolve("node.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(java, "-jar", jar.toString(), "--ferry.cluster.name=ferry-jar-it")
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("FERRY_ADMIN_PASSWORD", "from-the-environment");
        builder.environment().put("SERVER_PORT", "0");
        builder.environment().put("FERRY_SFTP_PORT", "0");
        builder.environment().put("FERRY_SFTP_BIND_ADDRESS", "127.0.0.1");
        node = builder.start();

        await().atMost(Duration.ofSeconds(90)).until(() -> !node.isAlive() || read(log).contains("Started Ferry"));
        String startup = read(log);
        assertThat(node.isAlive()).as(startup).isTrue();
        assertThat(startup).doesNotContain("Hazelcast is starting in a Java modular environment");
        int httpPort = port(HTTP_PORT, startup);
        int sftpPort = port(SFTP_PORT, startup);
        assertThat(workDir.resolve("ferry-data/master.key")).exists();
        assertThat(workDir.resolve("ferry-data/initial-admin-password")).doesNotExist();

        OpenSshClient openssh = new OpenSshClient(Files.createDirectory(workDir.resolve("client")));
        String user = "acme";
        OpenSshClient.Result created = run(workDir, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "-u", "admin:from-the-environment", "-H", "Content-Type: application/json",
                "-d", "{\"username\":\"" + user + "\",\"password\":\"correct-horse-battery\"}",
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts");
        assertThat(created.stdout()).isEqualTo("201");
        OpenSshClient.Result key = run(workDir, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                "-u", "admin:from-the-environment", "-H", "Content-Type: application/json",
                "-d", "{\"publicKey\":\"" + openssh.publicKey() + "\"}",
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts/" + user + "/keys");
        assertThat(key.stdout()).isEqualTo("201");

        Files.writeString(workDir.resolve("client/hello.txt"), "hello, ferry");
        OpenSshClient.Result put = openssh.batch(sftpPort, user, workDir.resolve("client"), "put hello.txt");
        assertThat(put.exitCode()).as(put.output()).isZero();
        assertThat(workDir.resolve("ferry-data/storage/acme/hello.txt")).hasContent("hello, ferry");

        // every line of the session names its protocol, session, account and client
        await().atMost(Duration.ofSeconds(10)).until(() -> read(log).contains("Uploaded /hello.txt"));
        String uploaded = read(log).lines().filter(l -> l.contains("Uploaded /hello.txt")).findFirst().orElseThrow();
        assertThat(uploaded).containsPattern("\\[sftp [0-9a-f]{12} acme@127\\.0\\.0\\.1\\]");

        // stopped as a service manager stops it (SIGTERM): the embedded database stays open until Spring has
        // finished with it, so the node gives up its primary role in the database and records that it did
        node.destroy();
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("stopped within a minute").isTrue();
        String stopped = read(log);
        assertThat(stopped).contains("released the primary role").contains("Cluster event primary-given-up")
                .doesNotContain("Database is already closed").doesNotContain("Could not record cluster event");
    }

    @Test
    void acknowledgedUploadShouldSurviveKillDashNine() throws Exception {
        Path first = workDir.resolve("first.log");
        start(first);
        int httpPort = port(HTTP_PORT, read(first));
        int sftpPort = port(SFTP_PORT, read(first));
        OpenSshClient openssh = new OpenSshClient(Files.createDirectory(workDir.resolve("client")));
        assertThat(run(workDir, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                "admin:from-the-environment", "-H", "Content-Type: application/json", "-d",
                "{\"username\":\"acme\",\"password\":\"correct-horse-battery\"}",
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts").stdout()).isEqualTo("201");
        assertThat(run(workDir, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-u",
                "admin:from-the-environment", "-H", "Content-Type: application/json", "-d",
                "{\"publicKey\":\"" + openssh.publicKey() + "\"}",
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts/acme/keys").stdout()).isEqualTo("201");
        byte[] data = SftpOperationsIT.random(3_000_000);
        Files.write(workDir.resolve("client/payload.bin"), data);

        OpenSshClient.Result put = openssh.batch(sftpPort, "acme", workDir.resolve("client"), "put payload.bin");
        assertThat(put.exitCode()).as(put.output()).isZero();
        node.destroyForcibly(); // SIGKILL the moment the client has its acknowledgement
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();

        Path second = workDir.resolve("second.log");
        start(second);
        assertThat(Files.readAllBytes(workDir.resolve("ferry-data/storage/acme/payload.bin"))).isEqualTo(data);
        int restartedPort = port(HTTP_PORT, read(second));
        OpenSshClient.Result log = run(workDir, "curl", "-s", "-u", "admin:from-the-environment",
                "http://127.0.0.1:" + restartedPort + "/api/v1/transfers?account=acme");
        assertThat(log.stdout()).contains("\"status\":\"success\"").contains(SftpOperationsIT.sha256(data));
        // the node's JVM runs in Kathmandu (UTC+05:45): the row's time is still the upload's own
        Matcher started = Pattern.compile("\"startedAt\":\"([^\"]+)\"").matcher(log.stdout());
        assertThat(started.find()).as(log.stdout()).isTrue();
        assertThat(Duration.between(Instant.parse(started.group(1)), Instant.now()).abs())
                .isLessThan(Duration.ofMinutes(10));
    }

    private void start(Path log) throws Exception {
        Path jar = Path.of("target/ferry-app.jar").toAbsolutePath();
        String java = ProcessHandle.current().info().command().orElse("java");
        // a JVM not in UTC, as on many an administrator's machine: embedded H2 stores UTC all the same
        ProcessBuilder builder = new ProcessBuilder(java, "-Duser.timezone=Asia/Kathmandu", "-jar", jar.toString(),
                "--ferry.cluster.name=ferry-kill-it",
                "--server.port=0", "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0", "--ferry.ftps.passive-ports=0")
                .directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("FERRY_ADMIN_PASSWORD", "from-the-environment");
        node = builder.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> !node.isAlive() || read(log).contains("Started Ferry"));
        assertThat(node.isAlive()).as(read(log)).isTrue();
    }

    private static int port(Pattern pattern, String log) {
        Matcher matcher = pattern.matcher(log);
        assertThat(matcher.find()).as("no " + pattern + " in\n" + log).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    private static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static OpenSshClient.Result run(Path dir, String... command) throws Exception {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process process = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new OpenSshClient.Result(process.exitValue(), Files.readString(out), "");
    }
}
