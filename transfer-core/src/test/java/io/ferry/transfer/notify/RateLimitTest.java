package io.ferry.transfer.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void aKeyShouldPassOncePerIntervalAndOtherKeysAlone() {
        RateLimit limit = new RateLimit();
        assertThat(limit.first("work-failed\nitem 1", Duration.ofHours(1))).isTrue();
        assertThat(limit.first("work-failed\nitem 1", Duration.ofHours(1))).isFalse();
        assertThat(limit.first("work-failed\nitem 2", Duration.ofHours(1))).isTrue();
        assertThat(limit.first("work-failed\nitem 1", Duration.ZERO)).as("no interval: every time").isTrue();
        assertThat(limit.first("failover\nnode-a", Duration.ofNanos(1))).isTrue();
        assertThat(limit.first("failover\nnode-a", Duration.ofNanos(1))).as("the interval passed").isTrue();
    }

    @Test
    void aFloodOfKeysShouldNotGrowWithoutBound() {
        RateLimit limit = new RateLimit();
        for (int i = 0; i < 25_000; i++) {
            assertThat(limit.first("key " + i, Duration.ofHours(1))).isTrue();
        }
    }

    @Test
    void theMailBudgetShouldHoldBackWhatIsOverTheHourlyLimit() {
        MailBudget budget = new MailBudget(2);
        assertThat(budget.take()).isTrue();
        assertThat(budget.take()).isTrue();
        assertThat(budget.take()).isFalse();
        MailBudget unlimited = new MailBudget(0);
        for (int i = 0; i < 1000; i++) {
            assertThat(unlimited.take()).isTrue();
        }
    }
}
