package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.FerryApplication;
import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.sftp.SftpServer;

/**
 * The first-run experience: {@code java -jar ferry-app.jar} with nothing configured but ports, on the embedded H2
 * database, then a restart on the same data directory.
 */
@ExtendWith(OutputCaptureExtension.class)
class EmbeddedDefaultsIT {

    @TempDir
    Path dataDir;

    @Test
    void firstStartShouldCreateEverythingUnderTheDataDirAndRestartsShouldKeepIt(CapturedOutput output)
            throws Exception {
        KeyPair partnerKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        PublicKey firstHostKey;
        String password;
        try (ConfigurableApplicationContext node = start()) {
            Path passwordFile = dataDir.resolve("initial-admin-password");
            assertThat(passwordFile).exists();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
                    .isEqualTo("rw-------");
            password = Files.readString(passwordFile).trim();
            assertThat(password).hasSizeGreaterThanOrEqualTo(20);
            assertThat(dataDir.resolve("master.key")).exists();
            assertThat(dataDir.resolve("db")).isDirectoryContaining(p -> p.toString().endsWith(".mv.db"));
            assertThat(dataDir.resolve("storage")).isDirectory();
            assertThat(node.getBean(ClusterNode.class).memberNodeIds()).hasSize(1);
            assertThat(node.getBean(DataSource.class).getConnection().getMetaData().getURL()).startsWith("jdbc:h2:");

            // what the operator needs, in one block: the console, the ports, where the password is, the key to keep
            String started = output.getAll();
            FtpsServer ftps = node.getBean(FtpsServer.class);
            Path dir = dataDir.toAbsolutePath().normalize();
            assertThat(started).contains(String.join(System.lineSeparator(),
                    "Ferry is ready. This is a new installation:",
                    "  Web console      http://localhost:" + httpPort(node) + "/ (log in as 'admin')",
                    "  Admin password   in " + passwordFile.toAbsolutePath().normalize() + " (only this user may "
                            + "read it; change the password after logging in, then delete the file)",
                    "  SFTP             port " + node.getBean(SftpServer.class).port(),
                    "  FTPS             explicit TLS on port " + ftps.explicitPort() + ", implicit TLS on port "
                            + ftps.implicitPort() + "; passive data ports any free port",
                    "  REST API         http://localhost:" + httpPort(node) + "/api/v1 (health: /actuator/health, "
                            + "metrics: /actuator/prometheus)",
                    "  Master key       " + dir.resolve("master.key") + ": back it up: without it the secrets in "
                            + "the database cannot be read, and every node of a cluster needs the same key"));
            assertThat(started).as("the password is in its file, never in the log").doesNotContain(password);

            Api api = new Api(httpPort(node), "admin", password);
            api.createAccount("acme", "acme-password");
            api.addKey("acme", PublicKeyEntry.toString(partnerKey.getPublic()));

            AtomicReference<PublicKey> hostKey = new AtomicReference<>();
            upload(node, partnerKey, hostKey, "/hello.txt", "first run");
            firstHostKey = hostKey.get();
            assertThat(api.get("/api/v1/transfers?account=acme").json().get("totalItems").asLong()).isEqualTo(1);

            List<String> sealed = new JdbcTemplate(node.getBean(DataSource.class))
                    .queryForList("SELECT sealed_key FROM host_keys", String.class);
            assertThat(sealed).hasSize(2).allSatisfy(value -> assertThat(
                    new String(Base64.getDecoder().decode(value), StandardCharsets.ISO_8859_1))
                    .doesNotContain("OPENSSH").doesNotContain("openssh-key-v1"));
        }
        assertThat(dataDir.resolve("storage/acme/hello.txt")).hasContent("first run");

        int before = output.getAll().length();
        try (ConfigurableApplicationContext node = start()) {
            assertThat(output.getAll().substring(before)).as("shown again while the password's file is there")
                    .contains("This is a new installation:").doesNotContain(password);
            assertThat(Files.readString(dataDir.resolve("initial-admin-password")).trim()).isEqualTo(password);
            Api api = new Api(httpPort(node), "admin", password);
            assertThat(api.get("/api/v1/accounts/acme").status()).isEqualTo(200);
            AtomicReference<PublicKey> hostKey = new AtomicReference<>();
            upload(node, partnerKey, hostKey, "/again.txt", "second run");
            assertThat(KeyUtils.compareKeys(hostKey.get(), firstHostKey)).as("same host key after a restart").isTrue();
            assertThat(api.get("/api/v1/transfers?account=acme").json().get("totalItems").asLong()).isEqualTo(2);
        }

        // the operator took the password over and deleted its file: an installation like any other
        Files.delete(dataDir.resolve("initial-admin-password"));
        before = output.getAll().length();
        try (ConfigurableApplicationContext node = start()) {
            assertThat(output.getAll().substring(before)).doesNotContain("new installation")
                    .doesNotContain("Created a new master key");
        }

        byte[] otherKey = new byte[32];
        new SecureRandom().nextBytes(otherKey);
        assertThatThrownBy(() -> start("--ferry.security.master-key=" + Base64.getEncoder().encodeToString(otherKey)))
                .hasStackTraceContaining("master key");
    }

    private ConfigurableApplicationContext start(String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--ferry.data-dir=" + dataDir, "--server.port=0",
                "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0", "--ferry.ftps.passive-ports=0", "--ferry.cluster.name=ferry-embedded-it"));
        args.addAll(List.of(extra));
        return new SpringApplicationBuilder(FerryApplication.class).run(args.toArray(String[]::new));
    }

    private static int httpPort(ConfigurableApplicationContext node) {
        return Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
    }

    private static void upload(ConfigurableApplicationContext node, KeyPair key, AtomicReference<PublicKey> hostKey,
            String path, String content) throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((session, address, serverKey) -> {
            hostKey.set(serverKey);
            return true;
        });
        client.start();
        try (ClientSession session = client.connect("acme", "127.0.0.1", node.getBean(SftpServer.class).port())
                .verify(SftpClients.TIMEOUT).getSession()) {
            session.addPublicKeyIdentity(key);
            session.auth().verify(SftpClients.TIMEOUT);
            try (SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
                SftpOperationsIT.write(sftp, path, content.getBytes(StandardCharsets.UTF_8));
            }
        } finally {
            client.stop();
        }
    }
}
