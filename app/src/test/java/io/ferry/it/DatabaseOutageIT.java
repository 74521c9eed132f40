package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 22, item 1: the shared database goes away, stopped for 30 s and then frozen ({@code SIGSTOP}) for 30 s, under
 * an active-passive pair of nodes (separate JVMs) on a MariaDB of the test's own. While no lease can be renewed
 * nobody is primary (in active-passive only the primary serves partners, which is what is watched from outside,
 * every 200 ms, throughout); when the database returns one node is primary again within seconds; every acknowledged
 * upload is on the storage with its transfer-log row, and none is acknowledged without one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseOutageIT {

    private static final String ADMIN = "outage-admin-secret";
    private static final String PASSWORD = "outage-partner-password";
    private static final Duration OUTAGE = Duration.ofSeconds(30);

    Path work;
    PrivateDatabase db;
    NodeProcess a;
    NodeProcess b;
    SftpClients clients;
    PrimaryWatch watch;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("ferry-db-outage-it-");
        db = PrivateDatabase.start(work);
        String masterKey = NodeProcess.randomMasterKey();
        a = new NodeProcess("node-a", work);
        b = new NodeProcess("node-b", work);
        List<String> settings = List.of("--ferry.cluster.mode=active-passive");
        a.start(db.server(), masterKey, ADMIN, List.of(b), settings);
        b.start(db.server(), masterKey, ADMIN, List.of(a), settings);
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.alive()).as(a.logText()).isTrue();
            assertThat(b.alive()).as(b.logText()).isTrue();
            assertThat(a.started() && b.started()).isTrue();
        });
        a.createAccount(ADMIN, "acme", PASSWORD);
        clients = new SftpClients();
        watch = PrimaryWatch.of(List.of(a, b));
    }

    @AfterAll
    void stop() throws Exception {
        if (watch != null) {
            watch.close();
        }
        if (clients != null) {
            clients.close();
        }
        for (NodeProcess node : new NodeProcess[] {a, b}) {
            if (node != null) {
                node.stop();
            }
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    @Order(1)
    void aStoppedDatabaseShouldLeaveNoPrimaryAndLoseNothingAcknowledged() throws Exception {
        outage("stopped", () -> db.stopServer(), () -> db.startServer());
    }

    @Test
    @Order(2)
    void aFrozenDatabaseShouldLeaveNoPrimaryAndLoseNothingAcknowledged() throws Exception {
        outage("frozen", () -> db.freeze(), () -> db.thaw());
    }

    interface Step {
        void run() throws Exception;
    }

    private void outage(String kind, Step breakIt, Step mendIt) throws Exception {
        NodeProcess primary = servingNode();
        byte[] before = upload(primary, "/" + kind + "-before.bin", 11);
        // an upload under way when the database goes: the partner finishes it during the outage
        byte[] inFlight = new byte[700_000];
        new Random(17).nextBytes(inFlight);
        SftpClient flying = clients.sftp(primary.sftp, "acme", PASSWORD);
        SftpClient.CloseableHandle handle = flying.open("/" + kind + "-in-flight.bin", SftpClient.OpenMode.Write,
                SftpClient.OpenMode.Create, SftpClient.OpenMode.Truncate);
        flying.write(handle, 0, inFlight, 0, 300_000);

        breakIt.run();
        // the partner finishes it during the outage (on a thread of its own: a frozen database holds the answer)
        CompletableFuture<String> finished = CompletableFuture.supplyAsync(() -> {
            try {
                flying.write(handle, 300_000, inFlight, 300_000, inFlight.length - 300_000);
                flying.close(handle);
                return null;
            } catch (IOException e) {
                return "refused: " + e.getMessage(); // or the session ended with the primary role
            } finally {
                try {
                    flying.close();
                } catch (IOException e) {
                    // the session is gone already
                }
            }
        });
        long brokenAt = System.nanoTime();
        // the primary stops acting as one before its lease (3 s) could expire: it closes its partner listener
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> !a.servesSftp() && !b.servesSftp());
        Duration left = OUTAGE.minus(Duration.ofNanos(System.nanoTime() - brokenAt));
        if (!left.isNegative()) {
            // nobody takes the role while the database is away
            await().during(left).atMost(left.plusSeconds(10)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !a.servesSftp() && !b.servesSftp());
        }
        mendIt.run();
        long mendedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> a.servesSftp() ^ b.servesSftp());
        Duration takeover = Duration.ofNanos(System.nanoTime() - mendedAt);
        System.out.printf("database %s for %s: a primary again %d ms after it returned%n", kind, OUTAGE,
                takeover.toMillis());

        String refusal = finished.get(10, TimeUnit.MINUTES);
        boolean acknowledged = refusal == null;
        NodeProcess serving = servingNode();
        byte[] after = upload(serving, "/" + kind + "-after.bin", 13);
        for (var file : List.of(new Object[] {kind + "-before.bin", before},
                new Object[] {kind + "-after.bin", after})) {
            String name = (String) file[0];
            String sha = SftpOperationsIT.sha256((byte[]) file[1]);
            // on the storage (encrypted at rest in a cluster: read back through the primary), with its one row
            try (SftpClient sftp = clients.sftp(serving.sftp, "acme", PASSWORD); var in = sftp.read("/" + name)) {
                assertThat(SftpOperationsIT.sha256(in.readAllBytes())).as(name).isEqualTo(sha);
            }
            List<String> rows = db.column("SELECT sha256 FROM transfers WHERE path = '/" + name
                    + "' AND direction = 'UPLOAD' AND outcome = 'SUCCESS'");
            assertThat(rows).as(name).containsExactly(sha);
        }
        List<String> inFlightRows = db.column("SELECT sha256 FROM transfers WHERE path = '/" + kind
                + "-in-flight.bin' AND direction = 'UPLOAD' AND outcome = 'SUCCESS'");
        List<String> names = new ArrayList<>();
        try (SftpClient sftp = clients.sftp(serving.sftp, "acme", PASSWORD)) {
            sftp.readDir("/").forEach(entry -> names.add(entry.getFilename()));
        }
        boolean published = names.contains(kind + "-in-flight.bin");
        if (acknowledged) {
            assertThat(published).isTrue();
            // an acknowledged upload has its row
            assertThat(inFlightRows).containsExactly(SftpOperationsIT.sha256(inFlight));
        } else if (published) {
            // refused to a client that gave up waiting, then committed when the database came back: with its row
            assertThat(inFlightRows).containsExactly(SftpOperationsIT.sha256(inFlight));
        } else {
            assertThat(inFlightRows).isEmpty(); // refused and not published: no file without its row
        }
        System.out.printf("database %s: the upload under way was %s, %s%n", kind,
                acknowledged ? "acknowledged" : refusal, published ? "published with its row" : "not published");
        assertThat(watch.twoPrimaries()).as("polls (of %d) in which two nodes served partners", watch.polls())
                .isZero();
    }

    /** The node serving partners now (the primary); waits until exactly one does. */
    private NodeProcess servingNode() {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> a.servesSftp() ^ b.servesSftp());
        return a.servesSftp() ? a : b;
    }

    private byte[] upload(NodeProcess node, String path, int seed) throws Exception {
        byte[] data = new byte[700_000];
        new Random(seed).nextBytes(data);
        try (SftpClient sftp = clients.sftp(node.sftp, "acme", PASSWORD);
                var out = sftp.write(path)) {
            out.write(data);
        }
        return data;
    }
}
