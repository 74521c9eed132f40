package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.extensions.CheckFileNameExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import io.ferry.FerryApplication;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.sftp.SftpServer;

/**
 * A node with encryption at rest (as a cluster node has by default), on its own data directory and H2: partners
 * see plaintext, the disk holds only ciphertext; and what happens while the storage is gone.
 */
class EncryptedNodeIT {

    @TempDir
    static Path dataDir;

    @TempDir
    Path local;

    static ConfigurableApplicationContext node;
    static Api api;
    static OpenSshClient openssh;
    static SftpClients clients;

    @BeforeAll
    static void start() throws Exception {
        node = new SpringApplicationBuilder(FerryApplication.class).run("--ferry.data-dir=" + dataDir,
                "--server.port=0", "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0", "--ferry.ftps.passive-ports=0",
                "--ferry.cluster.name=ferry-encrypted-it", "--ferry.storage.encryption=true",
                "--ferry.admin.password=encrypted-admin", "--ferry.storage.health-interval=1s");
        api = new Api(Integer.parseInt(node.getEnvironment().getProperty("local.server.port")), "admin",
                "encrypted-admin");
        openssh = new OpenSshClient(Files.createDirectories(dataDir.resolve("client-keys")));
        clients = new SftpClients();
    }

    @AfterAll
    static void stop() {
        clients.close();
        node.close();
    }

    private int sftpPort() {
        return node.getBean(SftpServer.class).port();
    }

    private Path storage() {
        return node.getBean(StorageRoot.class).path();
    }

    /** Issue 21's handle behaviour ({@link SftpHandles}) with encryption at rest too. */
    @Test
    void handlesShouldBehaveTheSameOnEncryptedStorage() throws Exception {
        api.createAccount("handles", "handles-password-1");
        SftpHandles.check(path -> api.get(path).json(), sftpPort(), "handles", "handles-password-1", "handles");
    }

    /** Issue 21: the stock clients over SFTP and FTPS on encrypted storage ({@link StockClients}). */
    @Test
    void stockClientsShouldWorkTheSameOnEncryptedStorage() throws Exception {
        api.createAccount("stock", "stock-password-1");
        StockClients.check("sftp", sftpPort(), "stock", "stock-password-1", "over-sftp");
        StockClients.check("ftps", node.getBean(FtpsServer.class).explicitPort(), "stock", "stock-password-1",
                "over-ftps");
    }

    /**
     * Issue 21: {@code fsync@openssh.com} was answered and did nothing until the close. It is a durable point: what the
     * handle wrote is sealed on the storage (as a segment a resume continues), which another session sees as the
     * upload's resumable size while the handle is still open. A handle opened only for writing does not read.
     */
    @Test
    void fsyncShouldMakeWhatWasWrittenDurableAndResumable() throws Exception {
        api.createAccount("durable", "partner-password");
        byte[] data = SftpOperationsIT.random(300_000); // one whole segment (256 KiB) and part of the next
        try (SftpClient writer = clients.sftp(sftpPort(), "durable", "partner-password");
                SftpClient watcher = clients.sftp(sftpPort(), "durable", "partner-password")) {
            SftpClient.CloseableHandle handle = writer.open("/ledger.bin", SftpClient.OpenMode.Write,
                    SftpClient.OpenMode.Create, SftpClient.OpenMode.Truncate);
            writer.write(handle, 0, data);
            assertThat(watcher.stat("/ledger.bin").getSize()).isEqualTo(262_144); // the open segment is in memory
            writer.getExtension(OpenSSHFsyncExtension.class).fsync(handle);
            assertThat(watcher.stat("/ledger.bin").getSize()).isEqualTo(300_000);
            // as OpenSSH's read of a write-only descriptor (EBADF): SSH_FX_FAILURE
            assertThatThrownBy(() -> writer.read(handle, 0, new byte[10], 0, 10)).isInstanceOf(SftpException.class)
                    .satisfies(e -> assertThat(((SftpException) e).getStatus()).isEqualTo(SftpConstants.SSH_FX_FAILURE));
            writer.close(handle);
        }
        byte[] stored = Files.readAllBytes(storage().resolve("durable/ledger.bin"));
        assertThat(new String(stored, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("FERRYENC");
        try (SftpClient reader = clients.sftp(sftpPort(), "durable", "partner-password");
                var in = reader.read("/ledger.bin")) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
    }

    @Test
    void partnersShouldSeePlaintextWhileTheDiskHoldsCiphertext() throws Exception {
        api.createAccount("enc", "partner-password");
        api.addKey("enc", openssh.publicKey());
        // the key is sealed in the database (every node of a cluster loads the same), not in a file of this node's
        assertThat(dataDir.resolve("storage.keys")).doesNotExist();
        assertThat(api.get("/api/v1/storage").json().get("activeKey").asString()).isEqualTo("k1");
        byte[] data = ("PO-4711;widgets;12;EUR\n".repeat(40_000)).getBytes(StandardCharsets.US_ASCII);
        Files.write(local.resolve("orders.csv"), data);

        OpenSshClient.Result put = openssh.batch(sftpPort(), "enc", local, "put orders.csv", "ls -l orders.csv",
                "get orders.csv back.csv");
        assertThat(put.exitCode()).as(put.output()).isZero();
        assertThat(put.stdout()).contains(" " + data.length + " ");
        assertThat(Files.readAllBytes(local.resolve("back.csv"))).isEqualTo(data);

        byte[] onDisk = Files.readAllBytes(storage().resolve("enc/orders.csv"));
        assertThat(new String(onDisk, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("FERRYENC");
        assertThat(new String(onDisk, StandardCharsets.ISO_8859_1)).doesNotContain("widgets");

        // resume a download in the middle of a segment
        Files.write(local.resolve("partial.csv"), Arrays.copyOf(data, 100_001));
        OpenSshClient.Result reget = openssh.batch(sftpPort(), "enc", local, "reget orders.csv partial.csv");
        assertThat(reget.exitCode()).as(reget.output()).isZero();
        assertThat(Files.readAllBytes(local.resolve("partial.csv"))).isEqualTo(data);

        try (SftpClient sftp = clients.sftp(sftpPort(), "enc", "partner-password")) {
            Map.Entry<String, Collection<byte[]>> hash = sftp.getExtension(CheckFileNameExtension.class)
                    .checkFileName("/orders.csv", List.of("sha256"), 0L, 0L, 0);
            assertThat(HexFormat.of().formatHex(hash.getValue().iterator().next()))
                    .isEqualTo(SftpOperationsIT.sha256(data));
        }
        String logged = api.get("/api/v1/transfers?account=enc").json().get("items").get(2).get("sha256").asString();
        assertThat(logged).isEqualTo(SftpOperationsIT.sha256(data));
    }

    @Test
    void reencryptionShouldBeStartedAndWatchedThroughTheApi() {
        assertThat(api.get("/api/v1/storage").json().get("encrypted").asBoolean()).isTrue();
        assertThat(api.post("/api/v1/storage/reencrypt", "").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> !api.get("/api/v1/storage/reencrypt").json()
                .get("running").asBoolean());
        assertThat(api.get("/api/v1/storage/reencrypt").json().get("failed").asLong()).isZero();
    }

    @Test
    void missingStorageShouldMakeTheNodeNotReadyAndRefuseSessionsClearly() throws Exception {
        api.createAccount("outage", "partner-password");
        api.addKey("outage", openssh.publicKey());
        Api anonymous = new Api(api.port(), null, null);
        assertThat(anonymous.get("/actuator/health/readiness").status()).isEqualTo(200);
        Path root = storage();
        Path away = root.resolveSibling(root.getFileName() + "-unmounted");
        Files.move(root, away);
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> anonymous.get("/actuator/health/readiness")
                    .status() == 503);
            OpenSshClient.Result refused = openssh.batch(sftpPort(), "outage", local, "ls");
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.output()).contains("storage is unavailable");
        } finally {
            Files.move(away, root);
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> anonymous.get("/actuator/health/readiness")
                .status() == 200);
        OpenSshClient.Result back = openssh.batch(sftpPort(), "outage", local, "ls");
        assertThat(back.exitCode()).as(back.output()).isZero();
    }
}
