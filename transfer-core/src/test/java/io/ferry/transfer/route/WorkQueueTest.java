package io.ferry.transfer.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/** The queue's claims, leases, retries and resubmit, on H2 in MySQL mode with the real migration. */
class WorkQueueTest {

    private JdbcTemplate jdbc;
    private WorkQueue queue;

    @BeforeEach
    void database() throws Exception {
        jdbc = new JdbcTemplate(new DriverManagerDataSource("jdbc:h2:mem:" + UUID.randomUUID()
                + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1"));
        Migrations.apply(jdbc, "V1__foundation.sql", "V4__cluster_primary.sql", "V9__routes_and_work_items.sql",
                "V10__schedules_pulls_and_monitors.sql", "V13__work_item_batch_claims.sql", "V21__openpgp.sql");
        queue = new WorkQueue(jdbc, 2, Duration.ofMillis(50), Duration.ofSeconds(30));
    }

    private long add() {
        queue.add(7, "route", "acme", "/outbox/a.csv", "partner", "a.csv", "abc", "keep");
        return queue.due(10).get(0);
    }

    @Test
    void oneNodeShouldWinAClaimAndKeepItWhileItRenews() {
        long id = add();
        var claimed = queue.claimDue("node-a", 1).stream().findFirst();
        assertThat(claimed).isPresent();
        assertThat(claimed.get().id()).isEqualTo(id);
        assertThat(claimed.get().attempts()).isEqualTo(1);
        assertThat(queue.claimDue("node-b", 1)).isEmpty();
        assertThat(queue.due(10)).isEmpty();
        assertThat(queue.renewLeases("node-a")).isEqualTo(1);
        assertThat(queue.renewLeases("node-b")).isZero();

        // a node whose claim was taken over cannot finish the item
        jdbc.update("UPDATE work_items SET lease_until = TIMESTAMPADD(SECOND, -1, CURRENT_TIMESTAMP(3))");
        assertThat(queue.due(10)).containsExactly(id);
        var taken = queue.claimDue("node-b", 1).get(0);
        queue.done(claimed.get(), "node-a");
        assertThat(queue.get(id).state()).isEqualTo("running");
        queue.done(taken, "node-b");
        assertThat(queue.get(id).state()).isEqualTo("done");
    }

    @Test
    void aFailingItemShouldBeRetriedThenFailedThenResubmitted() {
        long id = add();
        var first = queue.claimDue("node-a", 1).get(0);
        queue.failed(first, "node-a", "partner down");
        var item = queue.get(id);
        assertThat(item.state()).isEqualTo("queued");
        assertThat(item.lastError()).isEqualTo("partner down");
        assertThat(queue.due(10)).isEmpty(); // backing off

        await().atMost(Duration.ofSeconds(5)).until(() -> !queue.due(10).isEmpty()); // after 50 ms plus jitter
        var second = queue.claimDue("node-a", 1).get(0);
        assertThat(second.attempts()).isEqualTo(2);
        queue.failed(second, "node-a", "still down");
        assertThat(queue.get(id).state()).isEqualTo("failed");
        assertThat(queue.due(10)).isEmpty();

        assertThat(queue.resubmit(id).state()).isEqualTo("queued");
        assertThat(queue.get(id).attempts()).isZero();
        assertThatThrownBy(() -> queue.resubmit(id)).isInstanceOf(IllegalStateException.class);
        assertThat(queue.depth()).isEqualTo(1);
    }

    @Test
    void theSourcesPostActionShouldWaitForEveryDeliveryOfTheUploadAndTakeTheStrongest() {
        queue.add(9, "keep-route", "acme", "/outbox/b.csv", "p1", "b.csv", "abc", "keep");
        queue.add(9, "archive-route", "acme", "/outbox/b.csv", "p2", "b.csv", "abc", "archive");
        var first = queue.claimDue("node-a", 1).get(0);
        queue.done(first, "node-a");
        assertThat(queue.pendingPostAction(first)).isEmpty(); // the other delivery still runs
        var second = queue.claimDue("node-a", 1).get(0);
        queue.done(second, "node-a");
        assertThat(queue.pendingPostAction(second)).contains("archive");
        queue.postActionDone(second);
        assertThat(queue.pendingPostAction(second)).isEmpty();
    }

    @Test
    void backoffShouldDoubleWithJitterUpToTenMinutes() {
        Duration first = Duration.ofSeconds(2);
        assertThat(WorkQueue.backoff(first, 1)).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(3));
        assertThat(WorkQueue.backoff(first, 3)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
        assertThat(WorkQueue.backoff(first, 40)).isBetween(Duration.ofMinutes(10), Duration.ofMinutes(15));
    }

    @Test
    void aBatchClaimShouldGiveEachDueItemToOneNodeOldestFirst() {
        for (int i = 0; i < 5; i++) {
            queue.add(i, "route", "acme", "/outbox/" + i + ".csv", "partner", i + ".csv", "abc", "keep");
        }
        var first = queue.claimDue("node-a", 3);
        var second = queue.claimDue("node-b", 3);
        assertThat(first).extracting(WorkQueue.Item::path).containsExactly("/outbox/0.csv", "/outbox/1.csv",
                "/outbox/2.csv");
        assertThat(first).allSatisfy(item -> {
            assertThat(item.state()).isEqualTo("running");
            assertThat(item.claimedBy()).isEqualTo("node-a");
            assertThat(item.attempts()).isEqualTo(1);
        });
        assertThat(second).extracting(WorkQueue.Item::path).containsExactly("/outbox/3.csv", "/outbox/4.csv");
        assertThat(queue.claimDue("node-c", 3)).isEmpty();
        // a lease that ran out makes the item due again, for whoever claims first
        jdbc.update("UPDATE work_items SET lease_until = TIMESTAMPADD(SECOND, -1, CURRENT_TIMESTAMP(3)) WHERE path = "
                + "'/outbox/4.csv'");
        assertThat(queue.claimDue("node-c", 3)).singleElement().satisfies(item -> {
            assertThat(item.claimedBy()).isEqualTo("node-c");
            assertThat(item.attempts()).isEqualTo(2);
        });
    }

    @Test
    void doneItemsShouldBePurgedOnceOldAndNothingElse() {
        for (int i = 0; i < 3; i++) {
            queue.add(i, "route", "acme", "/outbox/" + i + ".csv", "partner", i + ".csv", "abc", "keep");
        }
        var claimed = queue.claimDue("node-a", 3);
        queue.done(claimed.get(0), "node-a");
        queue.done(claimed.get(1), "node-a");
        assertThat(queue.purgeDone(Duration.ofDays(30), 100)).isZero();
        jdbc.update("UPDATE work_items SET updated_at = TIMESTAMPADD(DAY, -31, CURRENT_TIMESTAMP(3)) WHERE id IN (?, ?)",
                claimed.get(0).id(), claimed.get(2).id());
        assertThat(queue.purgeDone(Duration.ofDays(30), 100)).isEqualTo(1);
        assertThat(queue.list(null, 10)).extracting(WorkQueue.Item::id)
                .containsExactlyInAnyOrder(claimed.get(1).id(), claimed.get(2).id());
    }
}
