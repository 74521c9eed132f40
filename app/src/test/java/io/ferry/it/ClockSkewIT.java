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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 22, item 5: one node's clock jumps two minutes ahead (libfaketime under its JVM, Debian's {@code faketime}).
 * The lease runs in the database's time, so the jump moves nothing: the primary stays the primary, and the jumped
 * node reports its skew (the gauge {@code FerryClockSkew} watches) and never takes the role, not even when the
 * primary dies.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClockSkewIT {

    private static final String ADMIN = "skew-admin-secret";
    private static final Pattern SKEW = Pattern.compile("(?m)^ferry_cluster_clock_skew_seconds(?:\\{[^}]*})? (\\S+)$");

    NodeProcess a;
    NodeProcess b;

    @AfterAll
    void stop() throws Exception {
        for (NodeProcess node : new NodeProcess[] {a, b}) {
            if (node != null) {
                node.stop();
            }
        }
    }

    @Test
    void aNodeWhoseClockJumpedShouldReportItAndNeverTakeTheLease() throws Exception {
        Path work = Files.createTempDirectory("ferry-clock-skew-it-");
        TestDatabase.Server db = TestDatabase.fresh();
        String masterKey = NodeProcess.randomMasterKey();
        a = new NodeProcess("node-a", work);
        b = new NodeProcess("node-b", work).withClockOffset("+120s");
        List<String> settings = List.of("--ferry.cluster.mode=active-passive");
        a.start(db, masterKey, ADMIN, List.of(b), settings);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(a.alive()).as(a.logText()).isTrue();
            assertThat(a.servesSftp()).isTrue();
        });
        b.start(db, masterKey, ADMIN, List.of(a), settings);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(b.alive()).as(b.logText()).isTrue();
            assertThat(b.started()).isTrue();
        });

        // the jumped node measures itself against the database's clock: about +120 s, past the alert's 2 s
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(skew(b)).isBetween(100.0, 140.0));
        assertThat(Math.abs(skew(a))).isLessThan(2.0);
        assertThat(b.logText()).containsPattern("node-b's clock is \\d+ ms off the database's");
        assertThat(a.servesSftp()).isTrue();
        assertThat(b.servesSftp()).isFalse();

        // the primary dies: the jumped node does not take the role (its time would be wrong in every log and row)
        a.kill();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(b.logText())
                .contains("Node node-b does not take the primary role: its clock is"));
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).until(() -> !b.servesSftp());
        assertThat(b.logText()).doesNotContain("Node node-b is primary");
    }

    /** A node's {@code ferry_cluster_clock_skew_seconds}, from its Prometheus endpoint. */
    private double skew(NodeProcess node) throws Exception {
        HttpResponse<String> metrics = node.get(ADMIN, "/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        Matcher value = SKEW.matcher(metrics.body());
        assertThat(value.find()).as(metrics.body()).isTrue();
        return Double.parseDouble(value.group(1));
    }
}
