package io.ferry.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class DoorTest {

    private Instant now = Instant.parse("2026-11-25T12:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private Door door(int maxSessions, int maxPerAddress, List<String> allow) {
        return new Door(new EdgeProperties.Limits(maxSessions, maxPerAddress, 5, "1000", Duration.ofSeconds(30),
                Duration.ofMinutes(10), 6, 3, Duration.ofMinutes(5), Duration.ofMinutes(15), allow), clock, meters);
    }

    @Test
    void failedLoginsWithinTheWindowShouldBanUntilTheBanRunsOut() {
        Door door = door(100, 10, List.of());
        assertThat(door.failed("198.51.100.7")).isFalse();
        now = now.plus(Duration.ofMinutes(6)); // the first failure leaves the window
        assertThat(door.failed("198.51.100.7")).isFalse();
        assertThat(door.failed("198.51.100.7")).isFalse();
        assertThat(door.admit("198.51.100.7")).isEmpty();
        assertThat(door.failed("198.51.100.7")).isTrue();
        assertThat(door.banned("198.51.100.7")).isTrue();
        assertThat(door.admit("198.51.100.7")).contains("banned");
        assertThat(door.banned("198.51.100.8")).isFalse();
        assertThat(meters.counter("ferry.edge.bans").count()).isEqualTo(1.0);

        now = now.plus(Duration.ofMinutes(15)).plusSeconds(1);
        assertThat(door.banned("198.51.100.7")).isFalse();
        door.sweep();
        assertThat(door.bans()).isEmpty();
    }

    @Test
    void theClustersBansShouldHoldAtTheDoorUntilALaterListLiftsThem() {
        Door door = door(100, 10, List.of("192.0.2.1"));
        door.bannedUntil("203.0.113.5", now.plusSeconds(60)); // a node's answer to a login
        door.clusterBans(java.util.Map.of("203.0.113.6", now.plusSeconds(60), "192.0.2.1", now.plusSeconds(60)));
        assertThat(door.banned("203.0.113.5")).isFalse(); // the list replaced the answer's ban: it was lifted
        assertThat(door.admit("203.0.113.6")).contains("banned");
        assertThat(door.banned("192.0.2.1")).isFalse(); // allow-listed
        door.clusterBans(java.util.Map.of());
        assertThat(door.admit("203.0.113.6")).isEmpty();
        door.bannedUntil("203.0.113.7", now.plusSeconds(30));
        assertThat(door.banned("203.0.113.7")).isTrue();
        now = now.plusSeconds(31);
        assertThat(door.banned("203.0.113.7")).isFalse();
    }

    /** An IPv6 host holds a whole /64: failures from any of its addresses count together, and the ban holds it. */
    @Test
    void anIpv6HostShouldBeCountedAndBannedByItsSlash64() {
        Door door = door(100, 10, List.of("2001:db8:ffff::/48"));
        assertThat(door.failed("2001:db8:0:1::1")).isFalse();
        assertThat(door.failed("2001:db8:0:1:0:0:0:2")).isFalse();
        assertThat(door.failed("2001:DB8:0:1::abcd")).isTrue();
        assertThat(door.banned("2001:db8:0:1:1234::9")).isTrue();
        assertThat(door.admit("2001:db8:0:1::77")).contains("banned");
        assertThat(door.banned("2001:db8:0:2::1")).isFalse();
        assertThat(door.bans()).containsOnlyKeys("2001:db8:0:1::/64");
        for (int i = 0; i < 10; i++) {
            assertThat(door.failed("2001:db8:ffff:1::" + i)).as("allow-listed block").isFalse();
        }
    }

    @Test
    void anAllowedAddressShouldNeverBeBanned() {
        Door door = door(100, 10, List.of("192.0.2.1"));
        for (int i = 0; i < 10; i++) {
            assertThat(door.failed("192.0.2.1")).isFalse();
        }
        assertThat(door.banned("192.0.2.1")).isFalse();
    }

    @Test
    void newConnectionsShouldBeLimitedPerMinuteAndAddress() {
        Door door = door(100, 100, List.of("192.0.2.1"));
        for (int i = 0; i < 5; i++) {
            assertThat(door.admit("198.51.100.9")).isEmpty();
            door.closed("198.51.100.9", false);
        }
        assertThat(door.admit("198.51.100.9")).hasValueSatisfying(r -> assertThat(r).contains("a minute"));
        assertThat(door.admit("198.51.100.10")).isEmpty(); // another address has its own budget
        for (int i = 0; i < 10; i++) {
            assertThat(door.admit("192.0.2.1")).isEmpty(); // the allow-list is not rate limited
            door.closed("192.0.2.1", false);
        }
        now = now.plusSeconds(61);
        assertThat(door.admit("198.51.100.9")).isEmpty();
        assertThat(meters.counter("ferry.edge.refused", "reason", "rate").count()).isEqualTo(1.0);
    }

    @Test
    void connectionsShouldBeLimitedPerAddressAndInTotal() {
        Door door = door(3, 2, List.of());
        assertThat(door.admit("a")).isEmpty();
        assertThat(door.admit("a")).isEmpty();
        assertThat(door.admit("a")).hasValueSatisfying(r -> assertThat(r).contains("too many connections"));
        assertThat(door.admit("b")).isEmpty();
        assertThat(door.admit("c")).hasValueSatisfying(r -> assertThat(r).contains("too many sessions"));
        assertThat(door.open()).isEqualTo(3);
        door.closed("a", false);
        assertThat(door.admit("c")).isEmpty();
        assertThat(door.admit("a")).hasValueSatisfying(r -> assertThat(r).contains("too many sessions"));
        door.closed("b", false);
        assertThat(door.admit("a")).isEmpty();
        assertThat(meters.counter("ferry.edge.refused", "reason", "max-per-address").count()).isEqualTo(1.0);
        assertThat(meters.counter("ferry.edge.refused", "reason", "max-sessions").count()).isEqualTo(2.0);
    }
}
