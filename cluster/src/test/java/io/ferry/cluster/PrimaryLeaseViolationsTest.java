package io.ferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.ferry.cluster.PrimaryLease.RoleChange;

class PrimaryLeaseViolationsTest {

    private static final LocalDateTime T = LocalDateTime.of(2026, 11, 25, 12, 0);

    private static RoleChange acquired(long id, String node, long token, int previousExpiresAtMs, int atMs) {
        return new RoleChange(id, node, token, "acquired", "test", T.plusNanos(previousExpiresAtMs * 1_000_000L), null,
                T.plusNanos(atMs * 1_000_000L));
    }

    private static RoleChange released(long id, String node, long token, int validUntilMs) {
        return new RoleChange(id, node, token, "released", "test", null, T.plusNanos(validUntilMs * 1_000_000L),
                T.plusNanos(validUntilMs * 1_000_000L));
    }

    @Test
    void aCleanHistoryHasNoViolations() {
        List<RoleChange> history = List.of(acquired(1, "a", 1, 0, 10), released(2, "a", 1, 5000),
                acquired(3, "b", 2, 5000, 5020), acquired(4, "a", 3, 9000, 9400));
        assertThat(PrimaryLease.violations(history)).isEmpty();
    }

    @Test
    void anAcquisitionBeforeThePreviousExpiryIsAnOverlap() {
        List<RoleChange> history = List.of(acquired(1, "a", 1, 0, 10), acquired(2, "b", 2, 3000, 2500));
        assertThat(PrimaryLease.violations(history)).singleElement().asString().contains("while token 1 of a");
    }

    @Test
    void aHolderValidAfterTheNextAcquisitionIsAnOverlap() {
        List<RoleChange> history = List.of(acquired(1, "a", 1, 0, 10), acquired(2, "b", 2, 3000, 3100),
                released(3, "a", 1, 3500));
        assertThat(PrimaryLease.violations(history)).singleElement().asString().contains("was valid until");
    }

    @Test
    void tokensMustGrowByOne() {
        List<RoleChange> history = List.of(acquired(1, "a", 1, 0, 10), acquired(2, "b", 3, 3000, 3100));
        assertThat(PrimaryLease.violations(history)).singleElement().asString().contains("grow by one");
    }
}
