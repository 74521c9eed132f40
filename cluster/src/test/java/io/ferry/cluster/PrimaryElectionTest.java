package io.ferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two elections on one database (H2 in MySQL mode, with the real migration): one primary at a time, and a primary
 * that loses the database steps down before the other node can take the role.
 */
class PrimaryElectionTest {

    private static final Duration TTL = Duration.ofMillis(2000);
    private static final Duration RENEW = Duration.ofMillis(500);
    private static final Duration RETRY = Duration.ofMillis(100);

    /** A DataSource whose connections can be cut, as a network partition from the database would. */
    static final class Cuttable implements DataSource {
        final String url;
        volatile boolean cut;

        Cuttable(String url) {
            this.url = url;
        }

        @Override
        public Connection getConnection() throws SQLException {
            if (cut) {
                throw new SQLException("database unreachable (cut by the test)");
            }
            return DriverManager.getConnection(url);
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    /** What one node's listener heard, with the time it heard it. */
    record Heard(String node, String what, long token, long atNanos) {
    }

    private final List<Heard> heard = new CopyOnWriteArrayList<>();
    private String url;
    private Cuttable dbA;
    private Cuttable dbB;
    private PrimaryElection a;
    private PrimaryElection b;

    @BeforeEach
    void database() throws Exception {
        url = "jdbc:h2:mem:" + UUID.randomUUID() + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1";
        String migration = Files.readString(Path.of("../db/migrations/V4__cluster_primary.sql"));
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            for (String sql : migration.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    s.execute(sql);
                }
            }
        }
        dbA = new Cuttable(url);
        dbB = new Cuttable(url);
        a = election("node-a", dbA);
        b = election("node-b", dbB);
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
    }

    private PrimaryElection election(String node, DataSource db) {
        PrimaryElection election = new PrimaryElection(new PrimaryLease(db, "primary", TTL), node, TTL, RENEW, RETRY);
        election.addListener(new PrimaryElection.Listener() {
            @Override
            public void promoted(long token) {
                heard.add(new Heard(node, "promoted", token, System.nanoTime()));
            }

            @Override
            public void demoted(String reason) {
                heard.add(new Heard(node, "demoted", 0, System.nanoTime()));
            }
        });
        return election;
    }

    @Test
    void aPrimaryCutOffFromTheDatabaseShouldStepDownBeforeTheOtherNodeTakesOver() throws Exception {
        a.start();
        await().atMost(Duration.ofSeconds(5)).until(a::isPrimary);
        b.start();
        Thread.sleep(TTL.toMillis()); // b keeps trying while a renews
        assertThat(b.isPrimary()).isFalse();
        long tokenA = a.token();

        dbA.cut = true;
        await().atMost(Duration.ofSeconds(5)).until(b::isPrimary);
        assertThat(a.isPrimary()).isFalse();
        assertThat(b.token()).isEqualTo(tokenA + 1);

        Heard demoted = heard.stream().filter(h -> h.node().equals("node-a") && h.what().equals("demoted"))
                .findFirst().orElseThrow();
        Heard promoted = heard.stream().filter(h -> h.node().equals("node-b") && h.what().equals("promoted"))
                .findFirst().orElseThrow();
        // the old primary stopped acting before the new one started: never two at once
        assertThat(demoted.atNanos()).isLessThan(promoted.atNanos());

        // a comes back: it stays a standby, and the history proves the hand-over clean
        dbA.cut = false;
        Thread.sleep(TTL.toMillis());
        assertThat(a.isPrimary()).isFalse();
        assertThat(b.isPrimary()).isTrue();
        List<PrimaryLease.RoleChange> history = new PrimaryLease(dbB, "primary", TTL).history(100);
        assertThat(PrimaryLease.violations(history)).isEmpty();
        assertThat(history).anyMatch(c -> c.node().equals("node-a") && c.type().equals("lost"));
    }

    @Test
    void aHandOffShouldGoToTheNamedNodeOnlyAndARestartedNodeShouldRelease() throws Exception {
        a.start();
        await().atMost(Duration.ofSeconds(5)).until(a::isPrimary);
        b.start();
        long token = a.token();
        assertThat(a.handOff("node-b", "test swap")).isTrue();
        b.nudge();
        await().atMost(Duration.ofSeconds(5)).until(b::isPrimary);
        assertThat(b.token()).isEqualTo(token + 1);
        assertThat(a.isPrimary()).isFalse();

        b.close(); // releases on the way down: a takes over at once, not after the time to live
        long closed = System.nanoTime();
        a.nudge();
        await().atMost(Duration.ofSeconds(5)).until(a::isPrimary);
        assertThat(Duration.ofNanos(System.nanoTime() - closed)).isLessThan(TTL);
        assertThat(PrimaryLease.violations(new PrimaryLease(dbA, "primary", TTL).history(100))).isEmpty();
    }
}
