package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void perAddressAndTotalCapsShouldRefuseOnePastTheLimitAndFreeAPlaceOnClose() {
        ConnectionLimits limits = new ConnectionLimits(new ConnectionLimits.Settings(3, 2, 100, "100",
                Set.of("10.0.0.9")), CLOCK);
        assertThat(limits.admit("10.0.0.1")).isEmpty();
        assertThat(limits.admit("10.0.0.1")).isEmpty();
        assertThat(limits.admit("10.0.0.1")).contains(ConnectionLimits.Refusal.MAX_PER_ADDRESS);
        assertThat(limits.admit("10.0.0.2")).isEmpty();
        assertThat(limits.admit("10.0.0.3")).contains(ConnectionLimits.Refusal.MAX_SESSIONS);
        limits.closed("10.0.0.1", false);
        assertThat(limits.admit("10.0.0.1")).isEmpty();
        assertThat(limits.open()).isEqualTo(3);
    }

    @Test
    void connectionsWaitingToLogInShouldBeDroppedAsMaxStartupsDoes() {
        ConnectionLimits limits = new ConnectionLimits(new ConnectionLimits.Settings(1000, 1000, 1000, "2:100:4",
                Set.of()), CLOCK);
        assertThat(limits.admit("10.0.0.1")).isEmpty();
        assertThat(limits.admit("10.0.0.2")).isEmpty();
        // from start on, at 100% here: refused until one logs in or leaves
        assertThat(limits.admit("10.0.0.3")).contains(ConnectionLimits.Refusal.STARTUPS);
        limits.loggedIn();
        assertThat(limits.admit("10.0.0.3")).isEmpty();
        limits.closed("10.0.0.3", false);
        assertThat(limits.admit("10.0.0.4")).isEmpty();
        assertThat(limits.admit("10.0.0.5")).contains(ConnectionLimits.Refusal.STARTUPS);
    }

    @Test
    void newConnectionsAMinuteShouldBeLimitedPerAddressExceptTheAllowList() {
        ConnectionLimits limits = new ConnectionLimits(new ConnectionLimits.Settings(1000, 1000, 2, "1000",
                Set.of("10.0.0.9")), CLOCK);
        for (int i = 0; i < 2; i++) {
            assertThat(limits.admit("10.0.0.1")).isEmpty();
            limits.closed("10.0.0.1", false);
        }
        assertThat(limits.admit("10.0.0.1")).contains(ConnectionLimits.Refusal.RATE);
        for (int i = 0; i < 5; i++) {
            assertThat(limits.admit("10.0.0.9")).isEqualTo(Optional.empty());
        }
        assertThatThrownBy(() -> new ConnectionLimits.Settings(1, 1, 1, "10:30", Set.of()))
                .hasMessageContaining("start:rate:full");
    }
}
