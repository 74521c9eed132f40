package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.core.DistributedObject;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.topic.ITopic;

import io.ferry.FerryApplication;
import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.sftp.EdgeListener;
import io.ferry.transfer.sftp.SftpServer;

/**
 * Issue 19 item 2: a host that reaches the cluster port and knows the cluster name steered the cluster. Hazelcast
 * Community Edition authenticates no member, and nodes obeyed whatever came on the control topic: {@code drain} for
 * every node was an outage, {@code handoff} demoted the primary, {@code revoke} closed a partner's sessions, and the
 * ban map was anyone's to write. Here a live node meets a Hazelcast client and two rogue members that know the cluster
 * name: the client is refused, the member at a listed address writes to every map and publishes everything it can
 * think of (including a genuine message it overheard, replayed), changes nothing, and is removed once it has not
 * proved it holds the cluster secret; the member at an address that is not listed is removed at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterTrustIT {

    private static final String CLUSTER = "ferry-trust-it";
    private static final String NODE = "trust-node";
    private static final String PASSWORD = "victim-password-1";

    private ConfigurableApplicationContext node;
    private Api admin;
    private int hazelcastPort;
    private final SftpClients clients = new SftpClients();
    private final List<HazelcastInstance> rogues = new ArrayList<>();

    @BeforeAll
    void startNode() throws Exception {
        Path dataDir = Files.createTempDirectory("ferry-cluster-trust-");
        hazelcastPort = FreePorts.next();
        // the member list names a host, not a port: any member on 127.0.0.1 is let in, as a host on the cluster
        // network that an attacker controls would be
        node = new SpringApplicationBuilder(FerryApplication.class).run("--ferry.data-dir=" + dataDir,
                "--server.port=0", "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0", "--ferry.ftps.passive-ports=0",
                "--ferry.cluster.name=" + CLUSTER, "--ferry.cluster.node-id=" + NODE,
                "--ferry.cluster.bind-address=127.0.0.1", "--ferry.cluster.port=" + hazelcastPort,
                "--ferry.cluster.members=127.0.0.1", "--ferry.cluster.mode=active-passive",
                "--ferry.cluster.member-proof-timeout=20s",
                "--ferry.edge-listener.enabled=true", "--ferry.edge-listener.port=0",
                "--ferry.edge-listener.bind-address=127.0.0.1", "--ferry.edge-listener.share-identity=false");
        admin = new Api(Integer.parseInt(node.getEnvironment().getProperty("local.server.port")), "admin",
                Files.readString(dataDir.resolve("initial-admin-password")).trim());
        await().atMost(Duration.ofSeconds(30)).until(() -> "primary".equals(role()));
    }

    @AfterAll
    void stop() throws Exception {
        rogues.forEach(HazelcastInstance::shutdown);
        clients.close();
        if (node != null) {
            node.close();
        }
    }

    /** Issue 19 item 1: the member listened on every interface whatever the bind address said. */
    @Test
    void theMemberShouldListenOnTheConfiguredAddressOnly() throws Exception {
        Process ss = new ProcessBuilder("ss", "-Hltn", "sport = :" + hazelcastPort).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(ss.getInputStream(),
                StandardCharsets.UTF_8))) {
            out.lines().filter(l -> !l.isBlank()).forEach(lines::add);
        }
        ss.waitFor();
        assertThat(lines).as("listeners on the cluster port").hasSize(1);
        // 127.0.0.1, or the same written as an IPv4-mapped IPv6 address; before, "*:<port>"
        assertThat(lines.get(0)).containsPattern("(^|\\s|\\[::ffff:)127\\.0\\.0\\.1\\]?:" + hazelcastPort)
                .doesNotContain("*:" + hazelcastPort).doesNotContain("0.0.0.0:" + hazelcastPort);
    }

    @Test
    void aHazelcastClientShouldNotConnect() {
        ClientConfig config = new ClientConfig();
        config.setClusterName(CLUSTER);
        config.getNetworkConfig().addAddress("127.0.0.1:" + hazelcastPort);
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(5_000);
        config.setProperty("hazelcast.logging.type", "slf4j");
        assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(config).shutdown())
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMemberWithoutTheSecretShouldChangeNothing() throws Exception {
        admin.createAccount("victim", PASSWORD);
        ClientSession victim = clients.login(sftpPort(), "victim", PASSWORD);
        SftpClient victimSftp = SftpClientFactory.instance().createSftpClient(victim);

        HazelcastInstance rogue = rogue("127.0.0.1");
        await().atMost(Duration.ofSeconds(30)).until(() -> node.getBean(ClusterNode.class).memberNodeIds().size() == 2);
        // it overhears a genuine message to replay later
        ITopic<Object> control = topic(rogue);
        List<Object> overheard = new CopyOnWriteArrayList<>();
        control.addMessageListener(m -> overheard.add(m.getMessageObject()));
        assertThat(admin.post("/api/v1/cluster/nodes/" + NODE + "/undrain", "").status()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10)).until(() -> !overheard.isEmpty());

        // it reads every map: nothing it reads names the victim or an address
        await().atMost(Duration.ofSeconds(15)).until(() -> maps(rogue).stream().mapToInt(IMap::size).sum() > 0);
        for (IMap<Object, Object> map : maps(rogue)) {
            for (Map.Entry<Object, Object> entry : map.entrySet()) {
                assertThat(String.valueOf(entry.getValue())).as(map.getName()).doesNotContain("victim")
                        .doesNotContain("127.0.0.1");
            }
        }
        // it writes to every map: bans for the victim's address, counts, node and session entries
        for (IMap<Object, Object> map : maps(rogue)) {
            for (Object key : new ArrayList<>(map.keySet())) {
                map.put(key, "forged");
            }
            map.put("127.0.0.1", Long.MAX_VALUE);
            map.put("127.0.0.1", "forged");
            map.put(NODE, "forged");
        }
        for (String name : List.of("ferry.defender.bans", "ferry.defender.failures")) {
            rogue.getMap(name).put("127.0.0.1", Long.MAX_VALUE); // the maps older releases read
        }
        // it publishes everything a node obeys: unsigned, forged, replayed
        String session = admin.get("/api/v1/sessions").body();
        for (String wire : List.of("drain " + NODE + " 0", "handoff rogue", "revoke victim", "nudge rogue",
                "ftps-certificate-replaced", "settings-changed",
                "ferry1 " + NODE + " " + System.currentTimeMillis() + " 00112233445566778899aabb "
                        + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA drain " + NODE + " 0")) {
            control.publish(wire);
        }
        control.publish(overheard.get(0));
        for (String name : List.of("ferry-cluster-control")) {
            rogue.getTopic(name).publish("drain " + NODE + " 0"); // the topic older releases obeyed
        }

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Map<String, Long> dropped = node.getBean(ClusterNode.class).droppedMessages();
            assertThat(dropped.get("unsigned")).isGreaterThanOrEqualTo(6);
            assertThat(dropped.get("forged")).isGreaterThanOrEqualTo(1);
            assertThat(dropped.get("replayed")).isGreaterThanOrEqualTo(1);
        });
        // nothing changed: still primary, serving, not draining; the victim's session is open and it may log in anew
        assertThat(role()).isEqualTo("primary");
        assertThat(readiness()).isEqualTo(200);
        assertThat(admin.get("/api/v1/cluster").body()).doesNotContain("draining").doesNotContain("drained");
        assertThat(victimSftp.stat("/").isDirectory()).isTrue();
        assertThat(victim.isOpen()).isTrue();
        try (ClientSession again = clients.login(sftpPort(), "victim", PASSWORD)) {
            assertThat(again.isAuthenticated()).isTrue();
        }
        assertThat(admin.get("/api/v1/defender/bans").body()).doesNotContain("127.0.0.1");
        assertThat(admin.get("/api/v1/sessions").body()).doesNotContain("forged");
        assertThat(session).contains("victim");
        String metrics = admin.get("/actuator/prometheus").body();
        assertThat(metrics).contains("ferry_cluster_messages_dropped_total{reason=\"unsigned\"}");

        // and although its address is listed, it never proved it holds the cluster secret: it is removed
        ClusterNode cluster = node.getBean(ClusterNode.class);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.memberNodeIds().equals(List.of(NODE))
                && cluster.refusedMembers() > 0);
        assertThat(role()).isEqualTo("primary");
        rogue.shutdown();
        rogues.remove(rogue);
    }

    /** A member at an address that is not among {@code ferry.cluster.members} is removed as soon as it is seen. */
    @Test
    void aMemberAtAnAddressNotListedShouldBeRemoved() {
        ClusterNode cluster = node.getBean(ClusterNode.class);
        long before = cluster.refusedMembers();
        HazelcastInstance rogue = rogue("127.0.0.2");
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.refusedMembers() > before);
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.memberNodeIds().equals(List.of(NODE)));
        assertThat(role()).isEqualTo("primary");
        rogue.shutdown();
        rogues.remove(rogue);
    }

    /**
     * Issue 19 item 4: every edge was handed the cluster's host keys and FTPS key. A site that keeps node keys out
     * of the DMZ says so, and then no edge, registered or not, gets them.
     */
    @Test
    void aNodeThatKeepsItsKeysShouldGiveAnEdgeNone() throws Exception {
        String secret = admin.post("/api/v1/edges", "{\"name\":\"dmz-edge\"}").json().get("secret").asString();
        try (EdgeControl control = new EdgeControl(node.getBean(EdgeListener.class).port(), "dmz-edge", secret)) {
            EdgeControl.Answer answer = control.request("identity", new Properties());
            assertThat(answer.exit()).isNotEqualTo(0);
            assertThat(answer.error()).contains("gives edges no identity");
            assertThat(answer.properties()).isEmpty();
        }
    }

    private HazelcastInstance rogue(String address) {
        Config config = new Config();
        config.setClusterName(CLUSTER);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.local.localAddress", address);
        config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
        config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
        config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true)
                .addMember("127.0.0.1:" + hazelcastPort);
        config.getMemberAttributeConfig().setAttribute(ClusterNode.NODE_ID_ATTRIBUTE, "rogue");
        HazelcastInstance rogue = Hazelcast.newHazelcastInstance(config);
        rogues.add(rogue);
        return rogue;
    }

    @SuppressWarnings("unchecked")
    private static List<IMap<Object, Object>> maps(HazelcastInstance rogue) {
        List<IMap<Object, Object>> maps = new ArrayList<>();
        for (DistributedObject object : rogue.getDistributedObjects()) {
            if (object instanceof IMap<?, ?> map) {
                maps.add((IMap<Object, Object>) map);
            }
        }
        return maps;
    }

    @SuppressWarnings("unchecked")
    private static ITopic<Object> topic(HazelcastInstance rogue) {
        for (DistributedObject object : rogue.getDistributedObjects()) {
            if (object instanceof ITopic<?> topic) {
                return (ITopic<Object>) topic;
            }
        }
        throw new AssertionError("no topic found: " + rogue.getDistributedObjects());
    }

    private int sftpPort() {
        return node.getBean(SftpServer.class).port();
    }

    /** "primary" while the lease in the database names this node. */
    private String role() {
        Api.Response cluster = admin.get("/api/v1/cluster");
        if (cluster.status() != 200 || cluster.json().get("primary") == null
                || cluster.json().get("primary").isNull()) {
            return null;
        }
        return NODE.equals(cluster.json().get("primary").get("node").asString()) ? "primary" : "standby";
    }

    private int readiness() throws Exception {
        int port = Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/actuator/health/readiness")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
