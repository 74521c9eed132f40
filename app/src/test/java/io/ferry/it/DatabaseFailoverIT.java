package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 22, items 2 and 5, on one cluster: two nodes in active-passive mode, and a third whose clock jumped two
 * minutes ahead (libfaketime under its JVM, Debian's {@code faketime}), all separate JVMs.
 * <ol>
 * <li>The database fails over (ADR 0020): a MariaDB primary with a semi-synchronous replica (both the test's own);
 * the nodes reach the database through one address that the failover moves, as a virtual IP or a proxy is moved
 * ({@link TcpRelay} stands in). The primary is killed ({@code SIGKILL}) while a partner uploads steadily; the replica
 * is promoted and the address moved to it. The nodes follow without a restart: one of them is primary again within
 * seconds, never two; every upload acknowledged before, during and after has its file and its one success row on the
 * promoted database.</li>
 * <li>The jumped clock: the lease runs in the database's time, so the jump moves nothing; the jumped node reports its
 * skew (the gauge {@code FerryClockSkew} watches) and never takes the role, not even when the other nodes die.</li>
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseFailoverIT {

    private static final String ADMIN = "failover-admin-secret";
    private static final String PASSWORD = "failover-partner-password";
    private static final Pattern SKEW = Pattern.compile("(?m)^ferry_cluster_clock_skew_seconds(?:\\{[^}]*})? (\\S+)$");

    PrivateDatabase primary;
    PrivateDatabase replica;
    TcpRelay address;
    SftpClients clients;
    NodeProcess a;
    NodeProcess b;
    /** The node whose clock jumped. */
    NodeProcess jumped;

    @BeforeAll
    void start() throws Exception {
        Path work = Files.createTempDirectory("ferry-db-failover-it-");
        primary = PrivateDatabase.primary(work);
        replica = PrivateDatabase.replicaOf(primary, work);
        address = TcpRelay.to(primary.port);
        clients = new SftpClients();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> "1".equals(primary.globalStatus("Rpl_semi_sync_master_clients")));
        TestDatabase.Server viaAddress = new TestDatabase.Server("jdbc:mysql://127.0.0.1:" + address.port()
                + "/ferry?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC", "root", "");
        a = new NodeProcess("node-a", work);
        b = new NodeProcess("node-b", work);
        jumped = new NodeProcess("node-c", work).withClockOffset("+120s");
        String masterKey = NodeProcess.randomMasterKey();
        List<NodeProcess> nodes = List.of(a, b, jumped);
        for (NodeProcess node : nodes) {
            node.start(viaAddress, masterKey, ADMIN, nodes.stream().filter(n -> n != node).toList(),
                    List.of("--ferry.cluster.mode=active-passive"));
        }
        NodeProcess.awaitStarted(nodes);
        a.createAccount(ADMIN, "acme", PASSWORD);
    }

    @AfterAll
    void stop() throws Exception {
        for (NodeProcess node : new NodeProcess[] {a, b, jumped}) {
            if (node != null) {
                node.stop();
            }
        }
        for (AutoCloseable closing : new AutoCloseable[] {clients, address, replica, primary}) {
            if (closing != null) {
                closing.close();
            }
        }
    }

    @Test
    @Order(1)
    void theNodesShouldFollowAPromotedReplicaAndLoseNoAcknowledgedUpload() throws Exception {
        TestDatabase.Server promoted = replica.server();
        try (PrimaryWatch watch = PrimaryWatch.of(List.of(a, b, jumped));
                SteadyUploads uploads = SteadyUploads.start(clients, () -> NodeProcess.sftpOf(serving()), "acme",
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
                    + " %s%n", Duration.ofNanos(movedAt - killedAt).toMillis(), before, uploads.refused(),
                    again.toMillis(), watch.longestWithoutPrimary());
            uploads.close();

            NodeProcess serving = serving();
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

    @Test
    @Order(2)
    void aNodeWhoseClockJumpedShouldReportItAndNeverTakeTheLease() throws Exception {
        // the jumped node measures itself against the database's clock: about +120 s, past the alert's 2 s
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(skew(jumped)).isBetween(100.0, 140.0));
        assertThat(Math.abs(skew(a))).isLessThan(2.0);
        assertThat(jumped.logText()).containsPattern("node-c's clock is \\d+ ms off the database's");
        assertThat(jumped.servesSftp()).isFalse();

        // the other nodes die: the jumped node does not take the role (its time would be wrong in every log and row)
        a.kill();
        b.kill();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(jumped.logText())
                .contains("Node node-c does not take the primary role: its clock is"));
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> !jumped.servesSftp());
        assertThat(jumped.logText()).doesNotContain("Node node-c is primary");
    }

    /** The node serving partners (the primary, in active-passive mode), or null when none does now. */
    private NodeProcess serving() {
        for (NodeProcess node : List.of(a, b, jumped)) {
            if (node.servesSftp()) {
                return node;
            }
        }
        return null;
    }

    /** A node's {@code ferry_cluster_clock_skew_seconds}, from its Prometheus endpoint. */
    private static double skew(NodeProcess node) throws Exception {
        HttpResponse<String> metrics = node.get(ADMIN, "/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        Matcher value = SKEW.matcher(metrics.body());
        assertThat(value.find()).as(metrics.body()).isTrue();
        return Double.parseDouble(value.group(1));
    }
}
