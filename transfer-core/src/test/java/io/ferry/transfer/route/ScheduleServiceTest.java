package io.ferry.transfer.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * Schedules' fires on H2 in MySQL mode with the real migrations: only the lease holder with its current token fires,
 * a fire happens once, missed fires are caught up once or skipped, cron runs in the schedule's time zone.
 */
class ScheduleServiceTest {

    private static final Instant T0 = Instant.parse("2026-07-01T00:00:00Z");
    private static final ScheduleService.FolderLister NO_FILES = (account, folder, glob) -> List.of();

    private JdbcTemplate jdbc;
    private ScheduleService schedules;

    @BeforeEach
    void database() {
        DataSource db = new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1");
        jdbc = new JdbcTemplate(db);
        Migrations.apply(jdbc, "V1__foundation.sql", "V4__cluster_primary.sql", "V8__partners.sql", "V9__routes_and_work_items.sql",
                "V10__schedules_pulls_and_monitors.sql", "V13__work_item_batch_claims.sql", "V21__openpgp.sql");
        jdbc.update("INSERT INTO partners (name, protocol, host, port, username, master_key_id, host_key, remote_dir, "
                + "connect_timeout_seconds, transfer_timeout_seconds, max_parallel, created_at, updated_at) VALUES "
                + "('acme', 'sftp', 'localhost', 22, 'u', 'k', 'SHA256:x', '/', 30, 600, 4, CURRENT_TIMESTAMP(3), "
                + "CURRENT_TIMESTAMP(3))");
        jdbc.update("INSERT INTO accounts (username, home, permissions, enabled, created_at, updated_at, version) "
                + "VALUES ('alice', 'alice', 'all', TRUE, CURRENT_TIMESTAMP(6), CURRENT_TIMESTAMP(6), 0)");
        jdbc.update("INSERT INTO cluster_leases (name, holder, token, expires_at) VALUES ('primary', 'node-a', 5, "
                + "TIMESTAMPADD(MINUTE, 5, CURRENT_TIMESTAMP(3)))");
        WorkQueue queue = new WorkQueue(jdbc, 3, Duration.ofSeconds(1), Duration.ofSeconds(30));
        schedules = new ScheduleService(jdbc, new DataSourceTransactionManager(db), queue, Duration.ofSeconds(60));
    }

    private ScheduleService.Schedule create(String name, String kind, String cron, String zone, String misfire) {
        return schedules.create(new ScheduleService.ScheduleRequest(name, kind, cron, zone, "acme", "alice", "/in",
                "*.csv", null, null, misfire, null), T0);
    }

    private int items() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM work_items", Integer.class);
    }

    @Test
    void onlyTheLeaseHolderWithItsTokenShouldFireAndOnlyOnce() throws Exception {
        create("nightly", "pull", "* * * * *", null, null);
        Instant now = T0.plusSeconds(61);

        assertThatThrownBy(() -> schedules.fire("nightly", now, "node-b", 5, NO_FILES))
                .isInstanceOf(ScheduleService.NotPrimaryException.class);
        assertThatThrownBy(() -> schedules.fire("nightly", now, "node-a", 4, NO_FILES))
                .as("a stale token: the node was primary before, with another token")
                .isInstanceOf(ScheduleService.NotPrimaryException.class);
        assertThat(items()).isZero();

        ScheduleService.Fire fire = schedules.fire("nightly", now, "node-a", 5, NO_FILES).orElseThrow();
        assertThat(fire.fireTime()).isEqualTo(T0.plusSeconds(60));
        assertThat(fire.outcome()).isEqualTo("fired");
        assertThat(fire.fencingToken()).isEqualTo(5);
        assertThat(fire.missed()).isZero();
        assertThat(items()).isEqualTo(1);
        assertThat(schedules.fire("nightly", now, "node-a", 5, NO_FILES)).isEmpty();
        assertThat(schedules.get("nightly").nextFireAt()).isEqualTo(T0.plusSeconds(120));
        assertThat(items()).isEqualTo(1);

        // an expired lease fences even the right token
        jdbc.update("UPDATE cluster_leases SET expires_at = TIMESTAMPADD(SECOND, -1, CURRENT_TIMESTAMP(3))");
        assertThatThrownBy(() -> schedules.fire("nightly", T0.plusSeconds(121), "node-a", 5, NO_FILES))
                .isInstanceOf(ScheduleService.NotPrimaryException.class);
        assertThat(schedules.get("nightly").nextFireAt()).isEqualTo(T0.plusSeconds(120));
    }

    @Test
    void firesMissedWhileNoPrimaryRanShouldBeCaughtUpOnceOrSkipped() throws Exception {
        create("catch-up", "pull", "* * * * *", null, "run-once");
        create("skipper", "pull", "0 * * * *", null, "skip");
        Instant afterOutage = T0.plus(Duration.ofMinutes(10)).plusSeconds(30);

        ScheduleService.Fire caughtUp = schedules.fire("catch-up", afterOutage, "node-a", 5, NO_FILES).orElseThrow();
        assertThat(caughtUp.outcome()).isEqualTo("fired");
        assertThat(caughtUp.fireTime()).isEqualTo(T0.plus(Duration.ofMinutes(10)));
        assertThat(caughtUp.missed()).isEqualTo(9);
        assertThat(items()).isEqualTo(1);

        // hourly, back after 3.5 hours: the 03:00 fire is 30 minutes late, beyond the threshold
        ScheduleService.Fire skipped = schedules.fire("skipper", T0.plus(Duration.ofMinutes(210)), "node-a", 5,
                NO_FILES).orElseThrow();
        assertThat(skipped.outcome()).isEqualTo("skipped");
        assertThat(skipped.missed()).isEqualTo(2);
        assertThat(items()).isEqualTo(1);
        // within the threshold a skip-policy schedule fires as usual
        ScheduleService.Fire onTime = schedules.fire("skipper", T0.plus(Duration.ofHours(4)).plusSeconds(1),
                "node-a", 5, NO_FILES).orElseThrow();
        assertThat(onTime.outcome()).isEqualTo("fired");
        assertThat(items()).isEqualTo(2);
        assertThat(schedules.fires("skipper", 10)).extracting(ScheduleService.Fire::outcome)
                .containsExactly("fired", "skipped");
    }

    @Test
    void cronShouldRunInTheSchedulesTimeZoneAndAcceptSixFieldsAndMacros() {
        assertThat(create("ny", "pull", "0 9 * * *", "America/New_York", null).nextFireAt())
                .isEqualTo(Instant.parse("2026-07-01T13:00:00Z"));
        assertThat(create("berlin", "pull", "30 0 9 * * MON-FRI", "Europe/Berlin", null).nextFireAt())
                .isEqualTo(Instant.parse("2026-07-01T07:00:30Z"));
        assertThat(create("daily", "pull", "@daily", null, null).nextFireAt())
                .isEqualTo(Instant.parse("2026-07-02T00:00:00Z"));
        assertThatThrownBy(() -> create("bad", "pull", "61 * * * *", null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cron");
        assertThatThrownBy(() -> create("bad", "pull", "* * * * *", "Mars/Olympus", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeZone");
    }

    @Test
    void aPushShouldQueueOneDeliveryPerFileEachWithItsOwnPostAction() throws Exception {
        schedules.create(new ScheduleService.ScheduleRequest("push", "push", "* * * * *", null, "acme", "alice",
                "/out", "*.csv", null, "archive", null, null), T0);
        ScheduleService.Fire fire = schedules.fire("push", T0.plusSeconds(60), "node-a", 5,
                (account, folder, glob) -> List.of("/out/a.csv", "/out/b.csv")).orElseThrow();
        assertThat(fire.items()).isEqualTo(2);
        assertThat(jdbc.queryForList("SELECT DISTINCT group_key FROM work_items", String.class)).hasSize(2);
        assertThat(jdbc.queryForList("SELECT remote_name FROM work_items ORDER BY id", String.class))
                .containsExactly("a.csv", "b.csv");
        assertThat(jdbc.queryForList("SELECT DISTINCT post_action FROM work_items", String.class))
                .containsExactly("archive");
    }

    @Test
    void aManualRunShouldNotMoveTheCron() throws Exception {
        Instant next = create("manual", "pull", "0 2 * * *", null, null).nextFireAt();
        ScheduleService.Fire fire = schedules.runNow("manual", T0.plusSeconds(5), "node-b", NO_FILES);
        assertThat(fire.outcome()).isEqualTo("manual");
        assertThat(fire.fencingToken()).isZero();
        assertThat(items()).isEqualTo(1);
        assertThat(schedules.get("manual").nextFireAt()).isEqualTo(next);
    }

    @Test
    void anUpdateShouldKeepTheNextFireUnlessTheCronOrZoneChanged() {
        Instant next = create("edited", "pull", "0 2 * * *", null, null).nextFireAt();
        var glob = schedules.update("edited", new ScheduleService.ScheduleRequest(null, null, null, null, null, null,
                null, "*.edi", null, null, "skip", null), T0.plusSeconds(3600));
        assertThat(glob.fileGlob()).isEqualTo("*.edi");
        assertThat(glob.misfire()).isEqualTo("skip");
        assertThat(glob.nextFireAt()).isEqualTo(next);
        var zoned = schedules.update("edited", new ScheduleService.ScheduleRequest(null, null, null, "Europe/Berlin",
                null, null, null, null, null, null, null, null), T0.plusSeconds(3600));
        assertThat(zoned.nextFireAt()).isEqualTo(Instant.parse("2026-07-02T00:00:00Z")); // 02:00 in Berlin (CEST)
        assertThatThrownBy(() -> schedules.update("edited", new ScheduleService.ScheduleRequest(null, "push", null,
                null, null, null, null, null, true, null, null, null), T0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deleteRemote");
    }
}
