package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.ferry.storage.StorageRoot;
import io.ferry.transfer.sftp.SftpServer;

/**
 * A whole transfer node on ephemeral ports, on the real MySQL-compatible server of {@link TestDatabase}. Every
 * subclass shares the one Spring context (same configuration), so the node starts once per test run.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT, properties = {
        "ferry.sftp.port=0",
        "ferry.sftp.bind-address=127.0.0.1",
        "ferry.ftps.explicit-port=0",
        "ferry.ftps.implicit-port=0",
        "ferry.ftps.passive-ports=0",
        "ferry.ftps.bind-address=127.0.0.1",
        // edges relay to this node in ProtocolContractIT
        "ferry.edge-listener.enabled=true",
        "ferry.edge-listener.port=0",
        "ferry.edge-listener.bind-address=127.0.0.1",
        "ferry.admin.password=" + NodeIT.ADMIN_PASSWORD,
        "ferry.cluster.name=ferry-it",
        "ferry.cluster.node-id=it-node",
        "ferry.work.max-attempts=3",
        "ferry.work.first-retry=200ms",
        // the suite's many deliberate wrong passwords come from one address: no automatic ban in the shared
        // context (DefenderIT bans by hand; EdgeIT shows the automatic ban on nodes of its own)
        "ferry.defender.max-failures=1000",
        // and all its clients come from 127.0.0.1: no door limits in the shared context (FrontDoorIT shows them
        // on a node of its own)
        "ferry.sftp.limits.allow-list=127.0.0.1", "ferry.sftp.limits.max-startups=1000",
        "ferry.admin.login-max-failures-per-address=0",
        "ferry.ftps.limits.allow-list=127.0.0.1", "ferry.ftps.limits.max-startups=1000"})
abstract class NodeIT {

    static final String ADMIN_PASSWORD = "it-admin-secret";
    static final Path DATA_DIR = createDataDir();
    private static final AtomicInteger USERS = new AtomicInteger();

    @Autowired
    SftpServer sftpServer;

    @Autowired
    io.ferry.transfer.ftp.FtpsServer ftpsServer;

    @Autowired
    StorageRoot storage;

    @Value("${local.server.port}")
    int httpPort;

    static SftpClients clients;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestDatabase.Server db = TestDatabase.get();
        registry.add("spring.datasource.url", db::url);
        registry.add("spring.datasource.username", db::username);
        registry.add("spring.datasource.password", db::password);
        registry.add("ferry.data-dir", DATA_DIR::toString);
        registry.add("ferry.monitors.root", () -> DATA_DIR.resolve("monitored").toString());
    }

    @BeforeAll
    static void startClients() {
        clients = new SftpClients();
    }

    @AfterAll
    static void stopClients() {
        clients.close();
    }

    Api admin() {
        return new Api(httpPort, "admin", ADMIN_PASSWORD);
    }

    int sftpPort() {
        return sftpServer.port();
    }

    /** A username no other test uses. */
    static String uniqueUser(String prefix) {
        return prefix + "-" + USERS.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36);
    }

    @Autowired
    io.ferry.transfer.sftp.HostKeyStore hostKeys;

    private static String hostKey;

    /**
     * A partner: an account of this node, logged into over SFTP with its password, its "/in" folder the remote
     * folder, the host key pinned to what the node really presents to Ferry's own client (a check reports it).
     */
    String sftpPartner(String account, String password) throws Exception {
        Files.createDirectories(home(account).resolve("in"));
        String name = uniqueUser("partner");
        if (hostKey == null) {
            Api.Response probe = admin().post("/api/v1/partners", "{\"name\":\"" + name + "-probe\",\"host\":"
                    + "\"127.0.0.1\",\"port\":" + sftpPort() + ",\"username\":\"" + account + "\",\"password\":\""
                    + password + "\",\"hostKey\":\"SHA256:" + "A".repeat(43) + "\"}");
            assertThat(probe.status()).as(probe.body()).isEqualTo(201);
            String presented = admin().post("/api/v1/partners/" + name + "-probe/check", "").json()
                    .get("presentedHostKey").asString();
            assertThat(hostKeys.fingerprints()).anyMatch(f -> f.endsWith(" " + presented));
            hostKey = presented;
        }
        Api.Response created = admin().post("/api/v1/partners", "{\"name\":\"" + name + "\",\"host\":\"127.0.0.1\","
                + "\"port\":" + sftpPort() + ",\"username\":\"" + account + "\",\"password\":\"" + password
                + "\",\"hostKey\":\"" + hostKey + "\",\"remoteDir\":\"/in\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return name;
    }

    /** The account's home on disk. */
    Path home(String username) {
        return storage.path().resolve(username);
    }

    private static Path createDataDir() {
        try {
            Path dir = Files.createTempDirectory("ferry-it-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
