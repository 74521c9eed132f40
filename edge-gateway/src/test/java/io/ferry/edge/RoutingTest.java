package io.ferry.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Which node a new session goes to: only nodes that serve, by least connections or by client address. */
class RoutingTest {

    private static final Map<String, String> SERVING = Map.of("serving", "true", "storage", "up", "node", "n");

    private Backends backends(EdgeProperties.Routing routing) {
        return new Backends(new EdgeProperties("edge-1", "secret", List.of("10.0.0.1:2223", "10.0.0.2:2223",
                "10.0.0.3:2223"), List.of("SHA256:x"), routing, java.time.Duration.ofMillis(500),
                java.time.Duration.ofSeconds(1), new EdgeProperties.Sftp(true, 0, "127.0.0.1", 1 << 20),
                new EdgeProperties.Ftps(false, true, 0, true, 0, "127.0.0.1", "30000-30001", ""),
                new EdgeProperties.Limits(10, 10, 100, "10:30:100", java.time.Duration.ofSeconds(30), java.time.Duration.ofMinutes(1),
                        6, 10, java.time.Duration.ofMinutes(5), java.time.Duration.ofMinutes(15), List.of()), "", null,
                        null),
                new SimpleMeterRegistry());
    }

    @Test
    void onlyNodesThatServeWithStorageUpShouldBeCandidates() {
        Backends backends = backends(EdgeProperties.Routing.LEAST_CONNECTIONS);
        List<Backend> all = backends.all();
        assertThat(backends.candidates("192.0.2.1")).isEmpty(); // none answered yet
        all.get(0).observe(SERVING);
        all.get(1).observe(Map.of("serving", "false", "storage", "up")); // a standby, or draining
        all.get(2).observe(Map.of("serving", "true", "storage", "down"));
        assertThat(backends.candidates("192.0.2.1")).containsExactly(all.get(0));
        all.get(0).markDown(); // stopped answering
        assertThat(backends.candidates("192.0.2.1")).isEmpty();
    }

    @Test
    void leastConnectionsShouldPickTheNodeWithFewestRelayedSessionsAndTakeTurnsOnTies() {
        Backends backends = backends(EdgeProperties.Routing.LEAST_CONNECTIONS);
        List<Backend> all = backends.all();
        all.forEach(b -> b.observe(SERVING));
        all.get(0).relayed().set(5);
        all.get(1).relayed().set(1);
        all.get(2).relayed().set(3);
        assertThat(backends.candidates("192.0.2.1")).containsExactly(all.get(1), all.get(2), all.get(0));
        all.forEach(b -> b.relayed().set(0));
        Set<Backend> firsts = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            firsts.add(backends.candidates("192.0.2.1").get(0));
        }
        assertThat(firsts).hasSize(3);
    }

    @Test
    void clientAffinityShouldKeepAnAddressOnItsNodeWhileThatNodeServes() {
        Backends backends = backends(EdgeProperties.Routing.CLIENT_IP);
        List<Backend> all = backends.all();
        all.forEach(b -> b.observe(SERVING));
        Backend home = backends.candidates("203.0.113.9").get(0);
        for (int i = 0; i < 5; i++) {
            home.relayed().incrementAndGet(); // load does not move it
            assertThat(backends.candidates("203.0.113.9").get(0)).isSameAs(home);
        }
        Set<Backend> spread = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            spread.add(backends.candidates("203.0.113." + i).get(0));
        }
        assertThat(spread).hasSize(3);
        home.markDown();
        assertThat(backends.candidates("203.0.113.9")).doesNotContain(home).hasSize(2);
    }
}
