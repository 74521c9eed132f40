package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Issue 22, item 2 (ADR 0020): the database fails over. A MariaDB primary with a semi-synchronous replica (both the
 * test's own); the nodes reach the database through one address that the failover moves, as a virtual IP or a
 * proxy is moved ({@link TcpRelay} stands in). The primary is killed ({@code SIGKILL}) while a partner uploads
 * steadily; the replica is promoted and the address moved to it. The nodes follow without a restart: one of them is
 * primary again within seconds, never two; every upload acknowledged before, during and after has its file and its
 * one success row on the promoted database.
 */
class DatabaseFailoverIT {

    private static final String ADMIN = "failover-admin-secret";
    private static final String PASSWORD = "failover-partner-password";

    @Test
    void theNodesShouldFollowAPromotedReplicaAndLoseNoAcknowledgedUpload() throws Exception {
        Path work = Files.createTempDirectory("ferry-db-failover-it-");
        try (PrivateDatabase primary = PrivateDatabase.primary(work);
                PrivateDatabase replica = PrivateDatabase.replicaOf(primary, work);
                TcpRelay address = TcpRelay.to(primary.port);
                SftpClients clients = new SftpClients()) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> "1".equals(primary.globalStatus("Rpl_semi_sync_master_clients")));
            TestDatabase.Server viaAddress = new TestDatabase.Server("jdbc:mysql://127.0.0.1:" + address.port()
                    + "/ferry?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC", "root", "");
            NodeProcess a = new NodeProcess("node-a", work);
            NodeProcess b = new NodeProcess("node-b", work);
            String masterKey = NodeProcess.randomMasterKey();
            List<String> settings = List.of("--ferry.cluster.mode=active-passive");
            try {
                a.start(viaAddress, masterKey, ADMIN, List.of(b), settings);
                b.start(viaAddress, masterKey, ADMIN, List.of(a), settings);
                await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    assertThat(a.alive()).as(a.logText()).isTrue();
                    assertThat(b.alive()).as(b.logText()).isTrue();
                    assertThat(a.started() && b.started()).isTrue();
                });
                a.createAccount(ADMIN, "acme", PASSWORD);
                failOver(primary, replica, address, clients, a, b);
            } finally {
                a.stop();
                b.stop();
            }
        }
    }

    private void failOver(PrivateDatabase primary, PrivateDatabase replica, TcpRelay address, SftpClients clients,
            NodeProcess a, NodeProcess b) throws Exception {
        TestDatabase.Server promoted = replica.server();
        try (PrimaryWatch watch = PrimaryWatch.of(List.of(a, b));
                SteadyUploads uploads = SteadyUploads.start(clients, () -> NodeProcess.sftpOf(serving(a, b)), "acme",
                        PASSWORD, "steady")) {
            await().atMost(Duration.ofSeconds(60)).until(() -> uploads.acknowledged().size() >= 10);
            long tokenBefore = Long.parseLong(primary.column("SELECT MAX(token) FROM cluster_leases").get(0));
            // the commits so far were acknowledged by the replica before the partner was told
            assertThat(Long.parseLong(primary.globalStatus("Rpl_semi_sync_master_yes_tx"))).isPositive();
            assertThat(primary.globalStatus("Rpl_semi_sync_master_status")).isEqualTo("ON");
            int before = uploads.acknowledged().size();

            primary.kill();
            long killedAt = System.nanoTime();
            replica.promote();
            address.moveTo(replica.port);
            long movedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> uploads.acknowledged().size() >= before + 10);
            Duration again = Duration.ofNanos(System.nanoTime() - killedAt);
            System.out.printf("database failover: promoted and moved %d ms after the kill; %d uploads acknowledged"
                    + " before, %d refused during, steady again %d ms after the kill; longest span without a primary"
                    + " %d ms%n", Duration.ofNanos(movedAt - killedAt).toMillis(), before, uploads.refused(),
                    again.toMillis(), watch.longestWithoutPrimaryMillis());
            uploads.close();

            NodeProcess serving = serving(a, b);
            assertThat(serving).isNotNull();
            assertThat(uploads.missingRows(promoted)).as("acknowledged uploads without their one row").isEmpty();
            assertThat(uploads.missingFiles(serving.sftp)).as("acknowledged uploads not served back whole").isEmpty();
            // the lease moved on in the promoted database: its token only grows
            assertThat(Long.parseLong(promoted.column("SELECT MAX(token) FROM cluster_leases").get(0)))
                    .isGreaterThanOrEqualTo(tokenBefore);
            assertThat(watch.twoPrimaries()).as("polls (of %d) in which two nodes served partners", watch.polls())
                    .isZero();
        }
    }

    /** The node serving partners (the primary, in active-passive mode), or null when none does now. */
    private static NodeProcess serving(NodeProcess a, NodeProcess b) {
        if (a.servesSftp()) {
            return a;
        }
        return b.servesSftp() ? b : null;
    }
}
