package io.ferry.transfer.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.node.RuntimeSettings;
import io.ferry.transfer.notify.Expectations.ExpectationRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Expectations judged against the transfer log, on H2 in MySQL mode with the real migrations: what meets an arrival
 * or a delivery and what does not, each deadline judged once, how far back, and only while primary.
 */
class ExpectationsTest {

    /** Monday 2026-12-07; Berlin is UTC+1, so 09:30 there is 08:30 UTC. */
    private static final Instant CREATED = Instant.parse("2026-12-07T06:00:00Z");
    private static final Instant AFTER_DEADLINE = Instant.parse("2026-12-07T08:31:00Z");
    private static final List<String> MONDAY = List.of("MON");

    private JdbcTemplate jdbc;
    private SimpleMeterRegistry meters;
    private Notifications notifications;
    private Expectations expectations;

    @BeforeEach
    void database() throws IOException {
        jdbc = new JdbcTemplate(new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1"));
        for (String file : List.of("V1__foundation.sql", "V8__partners.sql",
                "V22__expectations_and_notifications.sql")) {
            String migration = Files.readString(Path.of("../db/migrations", file));
            for (String sql : migration.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!sql.isBlank()) {
                    jdbc.execute(sql);
                }
            }
        }
        jdbc.update("INSERT INTO accounts (username, home, permissions, enabled, created_at, updated_at, version) "
                + "VALUES ('acme', 'acme', 'read', TRUE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0)");
        jdbc.update("INSERT INTO partners (name, protocol, host, port, username, master_key_id, host_key, remote_dir, "
                + "connect_timeout_seconds, transfer_timeout_seconds, max_parallel, created_at, updated_at) VALUES "
                + "('bank', 'sftp', 'bank.example', 22, 'ferry', 'k1', 'SHA256:x', '/in', 10, 60, 1, "
                + "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)");
        meters = new SimpleMeterRegistry();
        notifications = new Notifications(jdbc, meters, new Webhook(new RuntimeSettings("", 1)), null, "node-a",
                new Notifications.Options("ferry@example.com", Duration.ofHours(1), 60, Duration.ofDays(30), 1000));
        expectations = new Expectations(jdbc, notifications, meters);
    }

    @AfterEach
    void close() {
        notifications.close();
    }

    private void arrival(String name, String folder, String pattern) {
        expectations.create(new ExpectationRequest(name, "arrival", "acme", folder, pattern, null, "09:30", MONDAY,
                "Europe/Berlin", null), CREATED);
    }

    private void transfer(String direction, String path, String client, String outcome, String endedAt) {
        LocalDateTime ended = LocalDateTime.ofInstant(Instant.parse(endedAt), ZoneOffset.UTC);
        jdbc.update("INSERT INTO transfers (node, protocol, session_id, account, path, direction, start_offset, "
                + "bytes, started_at, ended_at, outcome, client_address) VALUES ('node-a', 'sftp', 's1', 'acme', ?, ?, "
                + "0, 1, ?, ?, ?, ?)", path, direction, ended.minusSeconds(1), ended, outcome, client);
    }

    private boolean met(String name) {
        Expectations.Check check = expectations.get(name).lastCheck();
        assertThat(check).as(name + " judged").isNotNull();
        assertThat(check.dueAt()).isEqualTo(Instant.parse("2026-12-07T08:30:00Z"));
        return check.met();
    }

    @Test
    void anArrivalShouldBeMetOnlyByAFileOfItsFolderMatchingItsPatternThatEndedThatDayInTime() {
        arrival("orders", "/in", "orders-*.csv");
        arrival("elsewhere", "/in", "invoice-*.csv");
        arrival("late", "/late", "*.csv");
        arrival("failed", "/failed", "*.csv");
        arrival("yesterday", "/old", "*.csv");
        arrival("pulled", "/pulled/", "*");
        transfer("UPLOAD", "/in/orders-1.csv", "192.0.2.1", "SUCCESS", "2026-12-07T08:00:00Z");
        transfer("UPLOAD", "/in/sub/invoice-1.csv", "192.0.2.1", "SUCCESS", "2026-12-07T08:00:00Z");
        transfer("UPLOAD", "/late/a.csv", "192.0.2.1", "SUCCESS", "2026-12-07T08:30:01Z");
        transfer("UPLOAD", "/failed/a.csv", "192.0.2.1", "FAILED", "2026-12-07T08:00:00Z");
        transfer("UPLOAD", "/old/a.csv", "192.0.2.1", "SUCCESS", "2026-12-06T22:59:59Z"); // 23:59:59 Sunday in Berlin
        transfer("INBOUND", "/pulled/x.bin", "bank", "SUCCESS", "2026-12-06T23:00:00Z"); // 00:00 Monday in Berlin

        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-a", () -> true)).isEqualTo(4);

        assertThat(met("orders")).isTrue();
        assertThat(met("pulled")).isTrue();
        assertThat(met("elsewhere")).as("a subfolder's file").isFalse();
        assertThat(met("late")).as("a second after the deadline").isFalse();
        assertThat(met("failed")).isFalse();
        assertThat(met("yesterday")).as("the day before, in the zone").isFalse();
        assertThat(meters.counter("ferry.expectations.missed", "expectation", "late").count()).isEqualTo(1);
        assertThat(meters.counter("ferry.notifications.events", "event", "expectation-missed").count())
                .isEqualTo(4);
        assertThat(expectations.failing()).isEqualTo(4);
    }

    @Test
    void aDeliveryShouldBeMetBySuccessfulOutboundTransferToThePartner() {
        expectations.create(new ExpectationRequest("to-bank", "delivery", null, null, null, "bank", "09:30", MONDAY,
                "Europe/Berlin", null), CREATED);
        transfer("OUTBOUND", "/out/a.csv", "other-partner", "SUCCESS", "2026-12-07T08:00:00Z");
        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-a", () -> true)).isEqualTo(1);
        assertThat(met("to-bank")).isFalse();

        expectations.update("to-bank", new ExpectationRequest(null, null, null, null, null, null, "10:30", null, null,
                null), AFTER_DEADLINE);
        transfer("OUTBOUND", "/out/a.csv", "bank", "SUCCESS", "2026-12-07T09:00:00Z");
        assertThat(expectations.evaluate(Instant.parse("2026-12-07T09:31:00Z"), "node-a", () -> true)).isZero();
        assertThat(expectations.checks("to-bank", 10)).extracting(Expectations.Check::met).containsExactly(true,
                false);
    }

    @Test
    void eachDeadlineShouldBeJudgedOnceAndOnlyByThePrimary() {
        arrival("orders", "/in", "orders-*.csv");
        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-b", () -> false)).isZero();
        assertThat(expectations.get("orders").lastCheck()).as("a standby judges nothing").isNull();

        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-a", () -> true)).isEqualTo(1);
        assertThat(expectations.evaluate(AFTER_DEADLINE.plusSeconds(5), "node-a", () -> true)).isZero();
        assertThat(expectations.evaluate(AFTER_DEADLINE.plusSeconds(5), "node-b", () -> true)).isZero();
        assertThat(expectations.checks("orders", 10)).singleElement()
                .satisfies(check -> assertThat(check.node()).isEqualTo("node-a"));
        assertThat(meters.counter("ferry.expectations.missed", "expectation", "orders").count()).isEqualTo(1);
    }

    @Test
    void aPrimaryBackAfterAWeekShouldJudgeTheLastThreeDaysOnly() {
        expectations.create(new ExpectationRequest("daily", "arrival", "acme", "/in", "*", null, "09:30", null,
                "Europe/Berlin", null), CREATED.minus(Duration.ofDays(10)));
        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-a", () -> true)).isEqualTo(3);
        assertThat(expectations.checks("daily", 10)).extracting(Expectations.Check::dueAt).containsExactly(
                Instant.parse("2026-12-07T08:30:00Z"), Instant.parse("2026-12-06T08:30:00Z"),
                Instant.parse("2026-12-05T08:30:00Z"));
    }

    @Test
    void aDeadlineBeforeTheExpectationWasCreatedShouldNotBeJudged() {
        expectations.create(new ExpectationRequest("new", "arrival", "acme", "/in", "*", null, "09:30", MONDAY,
                "Europe/Berlin", null), Instant.parse("2026-12-07T08:30:30Z"));
        assertThat(expectations.evaluate(AFTER_DEADLINE, "node-a", () -> true)).isZero();
        assertThat(expectations.get("new").lastCheck()).isNull();
    }

    @Test
    void whatIsNotValidShouldBeRefused() {
        arrival("orders", "/in", "*.csv");
        assertThatThrownBy(() -> arrival("orders", "/in", "*.csv")).isInstanceOf(AccountConflictException.class);
        assertThatThrownBy(() -> expectations.create(new ExpectationRequest("x", "arrival", "nobody", "/in", "*", null,
                "09:30", null, null, null), CREATED)).isInstanceOf(AccountNotFoundException.class);
        for (ExpectationRequest bad : List.of(
                new ExpectationRequest("bad name", "arrival", "acme", "/in", "*", null, "09:30", null, null, null),
                new ExpectationRequest("x", "sometimes", "acme", "/in", "*", null, "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "in", "*", null, "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in/../etc", "*", null, "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "a/b", null, "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "{a", null, "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "*", "bank", "09:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "*", null, "9:30", null, null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "*", null, "09:30", List.of(), null, null),
                new ExpectationRequest("x", "arrival", "acme", "/in", "*", null, "09:30", null, "Nowhere/City", null),
                new ExpectationRequest("x", "delivery", "acme", null, null, "bank", "09:30", null, null, null))) {
            assertThatThrownBy(() -> expectations.create(bad, CREATED)).as(bad.toString())
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * What cannot be judged fairly is refused (found by an attacker's read): a deadline at 00:00 leaves no time on its
     * day, and a pattern with many '*' backtracks for seconds on a partner's long near-miss names.
     */
    @Test
    void aMidnightDeadlineOrAPatternThatBacktracksShouldBeRefused() {
        assertThatThrownBy(() -> expectations.create(new ExpectationRequest("midnight", "arrival", "acme", "/in",
                "*.csv", null, "00:00", MONDAY, "UTC", null), CREATED)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("23:59");
        assertThatThrownBy(() -> arrival("stars", "/in", "*_*_*_*.csv")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'*'");
        arrival("three-stars", "/in", "*_*_*.csv");
        assertThat(expectations.get("three-stars").pattern()).isEqualTo("*_*_*.csv");
    }
}
