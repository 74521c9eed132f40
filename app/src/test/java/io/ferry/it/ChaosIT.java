package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.ferry.cluster.PrimaryLease;
import io.ferry.storage.testing.SmallFileSystem;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Issue 22, items 6 and 4: the chaos run. Three nodes in active-active mode and an edge, all separate JVMs, on a
 * MariaDB and a NAS (a tmpfs) of the test's own; a partner uploading steadily through the edge and another directly
 * to the nodes; routes delivering every upload to a partner's SFTP server. One fault at a time, in a random order
 * that gives each kind its turn: a node killed ({@code SIGKILL}) and started again, the database frozen
 * ({@code SIGSTOP}), a node cut off from its peers but not from the database (nft rules between the loopback
 * addresses the nodes' cluster members have; the first time, the primary), the NAS turned read-only. For
 * {@code ferry.chaos.duration} (2 minutes unless set, one turn of every kind of fault: a system property or
 * {@code FERRY_CHAOS_DURATION}).
 * <p>During a partition the cut-off node answers partners within 2 s throughout (it must not wait for the cluster to
 * notice); a cut-off primary keeps its lease (renewed in the database) and stays the only primary, and an account
 * disabled on the other side is refused on it. At the end: every acknowledged upload is on the NAS with its SHA-256
 * and one transfer-log row, every one was delivered exactly once, no two nodes said they were primary in any poll,
 * and the lease history agrees; the run prints the longest span without a primary and each fault's figures.
 */
class ChaosIT {

    private static final String ADMIN = "chaos-admin-secret";
    private static final String PASSWORD = "chaos-partner-password";

    /** The kinds of fault, each with about how long it lasts (a killed node takes long to come back). */
    enum Fault {
        KILL(60), FREEZE_DATABASE(20), PARTITION(25), NAS_READ_ONLY(15);

        final Duration lasts;

        Fault(int seconds) {
            this.lasts = Duration.ofSeconds(seconds);
        }
    }

    private final ObjectMapper json = new ObjectMapper();
    private final Random random = new Random();
    private final List<String> report = new ArrayList<>();
    /** What went wrong during a fault (checked at the end, so that the run goes on and reports everything). */
    private final List<String> wrong = new ArrayList<>();
    private boolean primaryCutOff;

    @Test
    void faultsOneAfterAnotherShouldLoseNoAcknowledgedUploadAndDeliverEachOnce() throws Exception {
        Duration run = duration();
        Path work = Files.createTempDirectory("ferry-chaos-it-");
        List<NodeProcess> nodes = List.of(new NodeProcess("node-a", work).withAddress("127.0.0.21"),
                new NodeProcess("node-b", work).withAddress("127.0.0.22"),
                new NodeProcess("node-c", work).withAddress("127.0.0.23"));
        EdgeProcess edge = new EdgeProcess("edge-chaos", work);
        SinkPartner partner = new SinkPartner(work.resolve("partner"));
        String masterKey = NodeProcess.randomMasterKey();
        try (PrivateDatabase db = PrivateDatabase.start(work);
                SmallFileSystem nas = SmallFileSystem.mount(work.resolve("nas"), 1L << 30);
                SftpClients clients = new SftpClients()) {
            for (NodeProcess node : nodes) {
                start(node, nodes, db, masterKey);
            }
            NodeProcess.awaitStarted(nodes);
            NodeProcess any = nodes.get(0);
            any.createAccount(ADMIN, "acme", PASSWORD);
            any.createAccount(ADMIN, "leaver", PASSWORD);
            any.post(ADMIN, "/api/v1/partners", partner.partnerJson("sink"));
            for (String dir : List.of("edge", "direct")) {
                any.post(ADMIN, "/api/v1/routes", "{\"name\":\"" + dir + "-to-sink\",\"account\":\"acme\","
                        + "\"pathGlob\":\"/" + dir + "/*.bin\",\"partner\":\"sink\"}");
            }
            JsonNode registered = json.readTree(any.post(ADMIN, "/api/v1/edges", "{\"name\":\"edge-chaos\"}")
                    .body());
            List<String> hostKeys = new ArrayList<>();
            registered.path("hostKeys").forEach(key -> hostKeys.add(key.asString()));
            edge.start(registered.path("secret").asString(), hostKeys, nodes);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertThat(edge.alive()).as(edge.logText()).isTrue();
                assertThat(edge.started()).isTrue();
            });
            try (SftpClient sftp = clients.sftp(any.sftp, "acme", PASSWORD)) {
                sftp.mkdir("/edge");
                sftp.mkdir("/direct");
            }

            Map<Fault, Integer> applied = new EnumMap<>(Fault.class);
            try (PrimaryWatch watch = PrimaryWatch.byRole(nodes, ADMIN);
                    SteadyUploads viaEdge = SteadyUploads.start(clients, () -> edge.sftp, "acme", PASSWORD, "edge/e");
                    SteadyUploads direct = SteadyUploads.start(clients, () -> anyAlive(nodes), "acme", PASSWORD,
                            "direct/d")) {
                await().atMost(Duration.ofSeconds(60)).until(() -> viaEdge.acknowledged().size() >= 3
                        && direct.acknowledged().size() >= 3);
                long end = System.nanoTime() + run.toNanos();
                List<Fault> turns = new ArrayList<>();
                while (System.nanoTime() < end) {
                    if (turns.isEmpty()) {
                        turns.addAll(List.of(Fault.values()));
                        Collections.shuffle(turns, random);
                    }
                    Fault fault = turns.remove(0);
                    Duration left = Duration.ofNanos(end - System.nanoTime());
                    if (applied.size() == Fault.values().length && left.compareTo(fault.lasts) < 0) {
                        break; // every kind had its turn, and this one would run well past the end
                    }
                    apply(fault, nodes, db, nas, masterKey);
                    applied.merge(fault, 1, Integer::sum);
                    Thread.sleep(5000); // calm between faults
                }
                viaEdge.close();
                direct.close();
                NodeProcess.awaitStarted(nodes);
                NodeProcess.awaitMembers(nodes, ADMIN, 3);

                Map<String, String> acknowledged = new HashMap<>(viaEdge.acknowledged());
                acknowledged.putAll(direct.acknowledged());
                String summary = String.format("chaos run of %s: faults %s; uploads acknowledged %d through the edge"
                        + " and %d directly (refused meanwhile: %d and %d); two primaries in %d of %d polls; longest"
                        + " span without a primary %s", run, applied, viaEdge.acknowledged().size(),
                        direct.acknowledged().size(), viaEdge.refused(), direct.refused(), watch.twoPrimaries(),
                        watch.polls(), watch.longestWithoutPrimary());
                System.out.println(summary);
                report.forEach(line -> System.out.println("  " + line));

                assertThat(applied).as("each kind of fault had its turn").hasSize(Fault.values().length);
                assertThat(wrong).as("what went wrong during the faults").isEmpty();
                assertThat(watch.twoPrimaries()).as(summary).isZero();
                List<PrimaryLease.RoleChange> history = new PrimaryLease(new DriverManagerDataSource(db.server().url(),
                        "root", ""), "primary", Duration.ofSeconds(3)).history(10_000);
                assertThat(PrimaryLease.violations(history)).isEmpty();
                assertThat(viaEdge.missingRows(db.server())).as("through the edge: acknowledged without one row")
                        .isEmpty();
                assertThat(direct.missingRows(db.server())).as("directly: acknowledged without one row").isEmpty();
                assertThat(viaEdge.missingFiles(any.sftp)).as("through the edge: not on the NAS whole").isEmpty();
                assertThat(direct.missingFiles(any.sftp)).as("directly: not on the NAS whole").isEmpty();
                // every acknowledged upload delivered, whole, and no name delivered twice
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    for (String path : acknowledged.keySet()) {
                        assertThat(partner.root().resolve("in").resolve(Path.of(path).getFileName().toString()))
                                .as(path).exists();
                    }
                });
                for (Map.Entry<String, String> upload : acknowledged.entrySet()) {
                    byte[] delivered = Files.readAllBytes(partner.root().resolve("in")
                            .resolve(Path.of(upload.getKey()).getFileName().toString()));
                    assertThat(SteadyUploads.sha256(delivered)).as(upload.getKey()).isEqualTo(upload.getValue());
                }
                assertThat(partner.writesOfFinalNames()).as("deliveries per name").allSatisfy((name, times) ->
                        assertThat(times).as(name).isEqualTo(1));
            }
        } finally {
            Partition.remove();
            edge.stop();
            for (NodeProcess node : nodes) {
                node.stop();
            }
            partner.stop();
        }
    }

    private void apply(Fault fault, List<NodeProcess> nodes, PrivateDatabase db, SmallFileSystem nas,
            String masterKey) throws Exception {
        NodeProcess victim = nodes.get(random.nextInt(nodes.size()));
        long start = System.nanoTime();
        switch (fault) {
            case KILL -> {
                victim.kill();
                Thread.sleep(5000);
                start(victim, nodes, db, masterKey);
                NodeProcess.awaitStarted(List.of(victim));
                NodeProcess.awaitMembers(nodes, ADMIN, 3);
                report.add(String.format("kill -9 %s: back in the cluster %d ms after the kill", victim.id,
                        millisSince(start)));
            }
            case FREEZE_DATABASE -> {
                db.freeze();
                Thread.sleep(10_000);
                db.thaw();
                long thawed = System.nanoTime();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> nodes.stream().anyMatch(node -> node.reportsPrimary(ADMIN)));
                report.add(String.format("database frozen 10 s: a primary %d ms after it thawed", millisSince(thawed)));
            }
            case PARTITION -> {
                // the first time, the primary: it renews its lease in the database, so it stays the only primary
                NodeProcess cutOff = primaryCutOff ? victim
                        : nodes.stream().filter(node -> node.reportsPrimary(ADMIN)).findFirst().orElse(victim);
                boolean wasPrimary = cutOff.reportsPrimary(ADMIN);
                primaryCutOff |= wasPrimary;
                List<NodeProcess> others = nodes.stream().filter(node -> node != cutOff).toList();
                try (Partition cut = Partition.cut(cutOff.address(), others.stream().map(NodeProcess::address)
                        .toList())) {
                    // from the first moment: the cluster takes seconds to notice, and partners must not wait for it
                    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                    while (System.nanoTime() < until) {
                        String why = NodeProcess.sftpProbe(cutOff.sftp, Duration.ofSeconds(2));
                        if (why != null) {
                            wrong.add(cutOff.id + " cut off did not serve partners within 2 s: " + why);
                        }
                        Thread.sleep(500);
                    }
                    if (wasPrimary) {
                        if (!cutOff.reportsPrimary(ADMIN)) {
                            wrong.add(cutOff.id + " cut off lost the primary role though it reaches the database");
                        }
                        // an account disabled on the other side is refused on the cut-off node: the database decides
                        others.get(0).patch(ADMIN, "/api/v1/accounts/leaver", "{\"enabled\":false}");
                        try (SftpClients leaver = new SftpClients(); var in = leaver.sftp(cutOff.sftp, "leaver",
                                PASSWORD)) {
                            wrong.add("a disabled account logged in on the cut-off " + cutOff.id);
                        } catch (IOException refused) {
                            report.add("a disabled account was refused on the cut-off primary");
                        }
                        others.get(0).patch(ADMIN, "/api/v1/accounts/leaver", "{\"enabled\":true}");
                    }
                }
                long healing = System.nanoTime();
                NodeProcess.awaitMembers(nodes, ADMIN, 3);
                report.add(String.format("%s%s cut off 15 s: served partners throughout; the cluster whole %d ms"
                        + " after the partition ended", cutOff.id, wasPrimary ? " (the primary)" : "",
                        millisSince(healing)));
            }
            case NAS_READ_ONLY -> {
                // the kernel refuses while a file is open for writing: tried until a moment between two writes
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                        .until(() -> {
                            nas.readOnly();
                            return true;
                        });
                long readOnly = System.nanoTime();
                Thread.sleep(10_000);
                nas.writable();
                report.add(String.format("NAS read-only 10 s (%d ms to find a moment without writers)",
                        Duration.ofNanos(readOnly - start).toMillis()));
            }
        }
    }

    private static long millisSince(long nanos) {
        return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
    }

    private static void start(NodeProcess node, List<NodeProcess> nodes, PrivateDatabase db, String masterKey)
            throws Exception {
        node.start(db.server(), masterKey, ADMIN, nodes.stream().filter(n -> n != node).toList(),
                List.of("--ferry.cluster.mode=active-active", "--ferry.storage.health-interval=1s"));
    }

    /** An SFTP port of a node that runs now, at random (the direct partner's pick for each upload). */
    private Integer anyAlive(List<NodeProcess> nodes) {
        List<NodeProcess> alive = nodes.stream().filter(NodeProcess::alive).toList();
        return alive.isEmpty() ? null : alive.get(random.nextInt(alive.size())).sftp;
    }



    /** {@code ferry.chaos.duration} (a system property, or {@code FERRY_CHAOS_DURATION}): 2 minutes unless set. */
    private static Duration duration() {
        String value = System.getProperty("ferry.chaos.duration", System.getenv("FERRY_CHAOS_DURATION"));
        return value == null || value.isBlank() ? Duration.ofMinutes(2) : Duration.parse(value);
    }
}
