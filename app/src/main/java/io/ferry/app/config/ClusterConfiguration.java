package io.ferry.app.config;

import javax.sql.DataSource;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.ferry.app.cluster.ClusterRoles;
import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryElection;
import io.ferry.cluster.PrimaryLease;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.notify.Webhook;
import io.ferry.transfer.pgp.PgpKeys;

/** The primary role (a fenced lease in the database), the cluster mode, and what serves partners when. */
@Configuration(proxyBeanMethods = false)
class ClusterConfiguration {

    /** In active-active mode every node serves; in active-passive only the primary, from its promotion on. */
    @Bean
    ServingState servingState(ClusterProperties cluster) {
        return new ServingState(cluster.mode() == ClusterProperties.Mode.ACTIVE_ACTIVE);
    }

    @Bean
    io.ferry.transfer.node.RuntimeSettings runtimeSettings(ClusterProperties cluster,
            io.ferry.transfer.ftp.FtpsProperties ftps, io.ferry.app.defender.DefenderProperties defender) {
        java.util.List<io.ferry.transfer.node.RuntimeSettings.Definition> more = new java.util.ArrayList<>(
                io.ferry.app.defender.ClusterDefender.runtimeSettings(defender));
        more.addAll(io.ferry.transfer.sftp.SftpServer.runtimeSettings());
        return new io.ferry.transfer.node.RuntimeSettings(cluster.webhookUrl(), ftps.maxLoginsPerAccount(), more);
    }

    @Bean
    io.ferry.app.cluster.SettingsService settingsService(org.springframework.jdbc.core.JdbcTemplate jdbc,
            io.ferry.transfer.node.RuntimeSettings settings, ClusterNode node) {
        return new io.ferry.app.cluster.SettingsService(jdbc, settings, node);
    }

    @Bean
    PrimaryLease primaryLease(DataSource dataSource, ClusterProperties cluster) {
        return new PrimaryLease(dataSource, "primary", cluster.leaseTtl());
    }

    @Bean
    PrimaryElection primaryElection(PrimaryLease lease, ClusterNode node, ClusterProperties cluster) {
        PrimaryElection election = new PrimaryElection(lease, node.nodeId(), cluster.leaseTtl(),
                cluster.renewInterval(), cluster.retryInterval());
        election.setMaxClockSkew(cluster.maxClockSkew());
        return election;
    }

    @Bean
    ClusterRoles clusterRoles(ClusterNode node, PrimaryElection election, ServingState serving,
            ClusterProperties cluster, java.util.List<io.ferry.transfer.node.SessionHost> sessionHosts,
            io.micrometer.core.instrument.MeterRegistry meters, io.ferry.transfer.node.RuntimeSettings settings,
            Webhook webhook, Notifications notifications) {
        return new ClusterRoles(node, election, serving, cluster, sessionHosts, meters, settings, webhook,
                notifications);
    }

    @Bean
    io.ferry.transfer.work.WorkDispatcher workDispatcher(io.ferry.transfer.route.WorkQueue queue,
            io.ferry.transfer.partner.PartnerService partners, io.ferry.transfer.account.AccountService accounts,
            io.ferry.storage.StorageRoot storage, io.ferry.transfer.session.Transfers transfers, ServingState serving,
            ClusterNode node, io.micrometer.core.instrument.MeterRegistry meters, io.ferry.transfer.work.Intake intake,
            io.ferry.transfer.route.TakenFiles taken, PgpKeys pgpKeys) {
        io.micrometer.core.instrument.Gauge.builder("ferry.work.queue.depth", queue,
                io.ferry.transfer.route.WorkQueue::depth).description("work items queued or running, cluster-wide")
                .register(meters);
        io.micrometer.core.instrument.Gauge.builder("ferry.work.queue.oldest.age", queue,
                io.ferry.transfer.route.WorkQueue::oldestAgeSeconds).baseUnit("seconds")
                .description("age of the oldest work item not done").register(meters);
        return new io.ferry.transfer.work.WorkDispatcher(queue, partners, accounts, storage, transfers, serving, node,
                intake, taken, pgpKeys);
    }

    /** Every transfer this node's own work makes (intake, delivery): one path to the storage and the transfer log. */
    @Bean
    io.ferry.transfer.session.Transfers transfers(io.ferry.transfer.log.TransferLog transferLog, ClusterNode node) {
        return new io.ferry.transfer.session.Transfers(transferLog, node.nodeId());
    }

    @Bean
    io.ferry.transfer.work.Intake intake(io.ferry.transfer.account.AccountService accounts,
            io.ferry.storage.StorageRoot storage, io.ferry.transfer.session.Transfers transfers) {
        return new io.ferry.transfer.work.Intake(accounts, storage, transfers);
    }

    /** Schedules and folder monitors: on the primary only. */
    @Bean
    io.ferry.transfer.work.PrimaryScheduler primaryScheduler(io.ferry.transfer.route.ScheduleService schedules,
            io.ferry.transfer.route.FolderMonitorService monitors, io.ferry.transfer.route.TakenFiles taken,
            io.ferry.transfer.work.Intake intake, io.ferry.transfer.account.AccountService accounts,
            io.ferry.storage.StorageRoot storage, PrimaryElection election,
            io.micrometer.core.instrument.MeterRegistry meters, io.ferry.transfer.route.WorkQueue queue,
            @org.springframework.beans.factory.annotation.Value("${ferry.work.retention:30d}")
            java.time.Duration workRetention) {
        return new io.ferry.transfer.work.PrimaryScheduler(schedules, monitors, taken, intake, accounts, storage,
                election, meters, queue, workRetention);
    }

    /**
     * {@code /actuator/health} component "cluster", part of readiness: a standby of an active-passive cluster is up
     * but out of service, so load balancers send partners to the primary only.
     */
    @Bean
    HealthIndicator clusterHealthIndicator(ClusterRoles roles, ServingState serving, ClusterNode node) {
        return () -> {
            Health.Builder health = serving.serving() ? Health.up() : Health.outOfService();
            return health.withDetail("node", node.nodeId())
                    .withDetail("mode", roles.mode().toString())
                    .withDetail("role", roles.isPrimary() ? "primary" : "standby")
                    .withDetail("drain", roles.drainState().toString())
                    .withDetail("sessions", roles.sessions())
                    .withDetail("clockSkewMillis", roles.clockSkewMillis())
                    .withDetail("members", node.memberNodeIds())
                    .build();
        };
    }
}
