package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.ferry.cluster.PrimaryLease;

/**
 * Issue 22, item 4: one node is cut off from the other nodes' cluster traffic (nft rules on loopback; each node's
 * cluster member has a loopback address of its own) but still reaches the database and its partners. Three nodes in
 * active-passive mode, a partner uploading steadily and a route delivering every upload to a partner's SFTP server.
 * First the primary is cut off: it keeps its lease (it renews it in the database), the others cannot take it, so
 * there is still exactly one primary, and an account disabled on the other side is refused on it at once (account
 * state is the database's, not the cluster's). Then a standby is cut off. Each time the cluster heals within
 * seconds of the partition's end; every acknowledged upload is delivered exactly once.
 */
class PartitionIT {

    private static final String ADMIN = "partition-admin-secret";
    private static final String PASSWORD = "partition-partner-password";
    private static final Duration CUT = Duration.ofSeconds(15);

    @Test
    void aNodeCutOffFromItsPeersShouldMakeNoSecondPrimaryRunNoDeliveryTwiceAndRejoin() throws Exception {
        Path work = Files.createTempDirectory("ferry-partition-it-");
        TestDatabase.Server db = TestDatabase.fresh();
        List<NodeProcess> nodes = List.of(new NodeProcess("node-a", work).withAddress("127.0.0.11"),
                new NodeProcess("node-b", work).withAddress("127.0.0.12"),
                new NodeProcess("node-c", work).withAddress("127.0.0.13"));
        SinkPartner partner = new SinkPartner(work.resolve("partner"));
        String masterKey = NodeProcess.randomMasterKey();
        try (SftpClients clients = new SftpClients()) {
            for (NodeProcess node : nodes) {
                node.start(db, masterKey, ADMIN, nodes.stream().filter(n -> n != node).toList(),
                        List.of("--ferry.cluster.mode=active-passive"));
            }
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                for (NodeProcess node : nodes) {
                    assertThat(node.alive()).as(node.logText()).isTrue();
                    assertThat(node.started()).isTrue();
                }
            });
            NodeProcess.awaitMembers(nodes, ADMIN, 3);
            NodeProcess any = nodes.get(0);
            any.createAccount(ADMIN, "acme", PASSWORD);
            any.createAccount(ADMIN, "leaver", PASSWORD);
            any.post(ADMIN, "/api/v1/partners", partner.partnerJson("sink"));
            any.post(ADMIN, "/api/v1/routes", "{\"name\":\"to-sink\",\"account\":\"acme\",\"pathGlob\":"
                    + "\"/outbox/*.bin\",\"partner\":\"sink\"}");
            try (SftpClient sftp = clients.sftp(serving(nodes).sftp, "acme", PASSWORD)) {
                sftp.mkdir("/outbox");
            }
            try (PrimaryWatch watch = PrimaryWatch.of(nodes);
                    SteadyUploads uploads = SteadyUploads.start(clients,
                            () -> NodeProcess.sftpOf(servingOrNull(nodes)), "acme", PASSWORD, "outbox/p")) {
                await().atMost(Duration.ofSeconds(60)).until(() -> uploads.acknowledged().size() >= 5);

                // the primary is cut off: it keeps the lease it renews in the database, and stays the only primary
                NodeProcess primary = serving(nodes);
                List<NodeProcess> rest = nodes.stream().filter(n -> n != primary).toList();
                int before = uploads.acknowledged().size();
                try (Partition cut = Partition.cut(primary.address(), addresses(rest))) {
                    // from the first moment: the cluster takes seconds to notice, and partners must not wait for it
                    List<String> wrong = throughout(CUT, () -> fails("the cut-off primary", primary),
                            () -> rest.stream().filter(NodeProcess::servesSftp).map(n -> n.id + " serves")
                                    .findFirst().orElse(null));
                    NodeProcess.awaitMembers(rest, ADMIN, 2);
                    NodeProcess.awaitMembers(List.of(primary), ADMIN, 1);
                    assertThat(wrong).isEmpty();
                    assertThat(uploads.acknowledged().size()).as("uploads went on at the cut-off primary")
                            .isGreaterThan(before);
                    // an account disabled on the other side is refused on the cut-off primary: the database decides
                    rest.get(0).patch(ADMIN, "/api/v1/accounts/leaver", "{\"enabled\":false}");
                    assertThatThrownBy(() -> clients.sftp(primary.sftp, "leaver", PASSWORD).close())
                            .as("a login of a disabled account on the cut-off node").isNotNull();
                }
                long healedFrom = System.nanoTime();
                NodeProcess.awaitMembers(nodes, ADMIN, 3);
                System.out.printf("partition of the primary for %s: one primary throughout; healed %d ms after the"
                        + " rules were removed%n", CUT, Duration.ofNanos(System.nanoTime() - healedFrom).toMillis());

                // a standby is cut off: nothing changes for partners
                NodeProcess standby = rest.get(0);
                List<NodeProcess> others = nodes.stream().filter(n -> n != standby).toList();
                try (Partition cut = Partition.cut(standby.address(), addresses(others))) {
                    List<String> wrong = throughout(CUT, () -> fails("the primary", primary),
                            () -> standby.servesSftp() ? "the cut-off standby serves" : null);
                    NodeProcess.awaitMembers(List.of(standby), ADMIN, 1);
                    assertThat(wrong).isEmpty();
                }
                healedFrom = System.nanoTime();
                NodeProcess.awaitMembers(nodes, ADMIN, 3);
                System.out.printf("partition of a standby for %s: healed %d ms after the rules were removed; %d"
                        + " uploads acknowledged, %d refused; longest span without a primary %s%n", CUT,
                        Duration.ofNanos(System.nanoTime() - healedFrom).toMillis(), uploads.acknowledged().size(),
                        uploads.refused(), watch.longestWithoutPrimary());
                uploads.close();

                assertThat(watch.twoPrimaries()).as("polls (of %d) in which two nodes served partners",
                        watch.polls()).isZero();
                // and the lease's own history: no two holders at once, and the role did not move
                List<PrimaryLease.RoleChange> history = new PrimaryLease(new DriverManagerDataSource(db.url(),
                        db.username(), db.password()), "primary", Duration.ofSeconds(3)).history(1000);
                assertThat(PrimaryLease.violations(history)).isEmpty();
                assertThat(history).filteredOn(change -> change.type().equals("acquired")).hasSize(1);
                assertThat(uploads.missingRows(db)).as("acknowledged uploads without their one row").isEmpty();
                // every acknowledged upload delivered, and nothing delivered twice
                Map<String, String> acknowledged = uploads.acknowledged();
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    for (String path : acknowledged.keySet()) {
                        String name = path.substring("/outbox/".length());
                        assertThat(partner.root().resolve("in").resolve(name)).as(name).exists();
                    }
                });
                assertThat(partner.writesOfFinalNames().values()).as("deliveries per name").allMatch(n -> n == 1);
                for (Map.Entry<String, String> upload : acknowledged.entrySet()) {
                    byte[] delivered = Files.readAllBytes(partner.root().resolve("in")
                            .resolve(upload.getKey().substring("/outbox/".length())));
                    assertThat(SteadyUploads.sha256(delivered)).as(upload.getKey()).isEqualTo(upload.getValue());
                }
            }
        } finally {
            Partition.remove();
            for (NodeProcess node : nodes) {
                node.stop();
            }
            partner.stop();
        }
    }


    /**
     * Why {@code node} does not serve partners now: no banner within 2 s (a client's patience; a connection must not
     * wait for the cluster to notice the partition) or none at all; null when it serves.
     */
    private static String fails(String what, NodeProcess node) {
        String why = NodeProcess.sftpProbe(node.sftp, Duration.ofSeconds(2));
        return why == null ? null : what + " (" + node.id + ") does not serve partners: " + why;
    }

    /** Checks every 500 ms for {@code span}: what any check found wrong, with when (empty: nothing). */
    @SafeVarargs
    private static List<String> throughout(Duration span, Callable<String>... checks) throws Exception {
        List<String> wrong = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + span.toNanos();
        while (System.nanoTime() < end) {
            for (Callable<String> check : checks) {
                String found = check.call();
                if (found != null) {
                    wrong.add(Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms: " + found);
                }
            }
            Thread.sleep(500);
        }
        return wrong;
    }

    private static List<String> addresses(List<NodeProcess> nodes) {
        return nodes.stream().map(NodeProcess::address).toList();
    }

    private static NodeProcess serving(List<NodeProcess> nodes) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> nodes.stream().filter(NodeProcess::servesSftp).count() == 1);
        return servingOrNull(nodes);
    }

    private static NodeProcess servingOrNull(List<NodeProcess> nodes) {
        return nodes.stream().filter(NodeProcess::servesSftp).findFirst().orElse(null);
    }
}
