package io.ferry.edge;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;

/** The edge's wiring: the nodes behind it, the door, the partners' SFTP listener, and its health. */
@Configuration(proxyBeanMethods = false)
class EdgeConfiguration {

    /** The operator's token that shows the health endpoint's details (ferry.edge.management-token). */
    @Bean
    FilterRegistrationBean<ManagementLogin> managementLogin(EdgeProperties properties) {
        FilterRegistrationBean<ManagementLogin> registration = new FilterRegistrationBean<>(
                new ManagementLogin(properties.managementToken()));
        registration.addUrlPatterns("/actuator/*");
        return registration;
    }

    @Bean
    Backends backends(EdgeProperties properties, MeterRegistry meters) {
        return new Backends(properties, meters);
    }

    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService doorSweeper(Door door) {
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(Backends.daemon("edge-door-"));
        sweeper.scheduleWithFixedDelay(door::sweep, 1, 1, TimeUnit.MINUTES);
        return sweeper;
    }

    @Bean
    Door door(EdgeProperties properties, MeterRegistry meters, Backends backends) {
        Door door = new Door(properties.limits(), Clock.systemUTC(), meters);
        backends.follow(door);
        return door;
    }

    @Bean
    EdgeSftpServer edgeSftpServer(EdgeProperties properties, Backends backends, Door door, MeterRegistry meters) {
        return new EdgeSftpServer(properties, backends, door, meters);
    }

    @Bean
    EdgeFtpsServer edgeFtpsServer(EdgeProperties properties, Backends backends, Door door, MeterRegistry meters) {
        return new EdgeFtpsServer(properties, backends, door, meters);
    }

    /**
     * {@code /actuator/health}: up while the partners' listeners (those enabled) are open and at least one node serves partners;
     * details list each node as the edge last saw it.
     */
    @Bean
    HealthIndicator backendsHealthIndicator(Backends backends, EdgeSftpServer sftp, EdgeFtpsServer ftps,
            EdgeProperties properties, Door door) {
        return () -> {
            boolean anyReady = backends.all().stream().anyMatch(Backend::ready);
            boolean listening = (sftp.listening() || !properties.sftp().enabled())
                    && (ftps.listening() || !properties.ftps().enabled());
            Health.Builder health = anyReady && listening ? Health.up() : Health.outOfService();
            health.withDetail("sftpListening", sftp.listening());
            health.withDetail("ftpsListening", ftps.listening());
            health.withDetail("bannedAddresses", door.bans().size());
            for (Backend b : backends.all()) {
                health.withDetail(b.address(), java.util.Map.of("node", b.name(), "ready", b.ready(),
                        "answers", b.up(), "role", b.status().getOrDefault("role", "?"),
                        "relayedSessions", b.relayed().get()));
            }
            return health.build();
        };
    }
}
