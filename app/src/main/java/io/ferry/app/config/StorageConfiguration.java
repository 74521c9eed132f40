package io.ferry.app.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.storage.StorageHealth;
import io.ferry.storage.StorageKeys;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.secret.MasterKey;

/** The shared storage: its root and keys, the health probe behind readiness, and the sweep of dropped uploads. */
@Configuration(proxyBeanMethods = false)
class StorageConfiguration {

    private static final Logger log = LoggerFactory.getLogger(StorageConfiguration.class);

    @Bean
    StorageRoot storageRoot(NodeProperties node, StorageProperties storage, ClusterProperties cluster,
            JdbcTemplate jdbc, MasterKey masterKey) {
        Path root = storage.root() != null ? storage.root() : node.dataDir().resolve("storage");
        boolean encrypt = storage.encryption() != null ? storage.encryption() : !cluster.members().isEmpty();
        Path keyFile = storage.keyFile() != null ? storage.keyFile() : node.dataDir().resolve("storage.keys");
        StorageKeys keys;
        if (!storage.keys().isEmpty()) {
            keys = StorageKeys.fromBase64(storage.keys(), storage.activeKey() != null ? storage.activeKey()
                    : storage.keys().keySet().iterator().next());
        } else if (storage.keyFile() != null || Files.exists(keyFile)) {
            // a key file given, or kept from before the keys moved into the database: every node needs the same one
            keys = StorageKeys.fromFile(keyFile);
        } else {
            // sealed in the database: the same keys on every node (created on the first start that encrypts)
            keys = new StorageKeyVault(jdbc, masterKey).load(encrypt);
        }
        log.info("Storage root {} ({})", root.toAbsolutePath().normalize(),
                encrypt ? "encrypted at rest with key " + keys.activeId() : "plain");
        return new StorageRoot(root, keys, encrypt, storage.quotaRescan(), nodeId(cluster),
                storage.minFreeSpace().toBytes());
    }

    /** {@code /actuator/health} component "storage", part of readiness. */
    @Bean
    HealthIndicator storageHealthIndicator(StorageRoot storage) {
        return () -> {
            StorageHealth.Status status = storage.health().status();
            Health.Builder health = status.up() ? Health.up() : Health.down();
            return health.withDetail("detail", status.detail())
                    .withDetail("freeBytes", status.freeBytes())
                    .withDetail("probeMillis", status.probeLatency().toMillis())
                    .withDetail("checkedAt", status.checkedAt().toString())
                    .build();
        };
    }

    @Bean
    StorageMaintenance storageMaintenance(StorageRoot storage, StorageProperties properties) {
        return new StorageMaintenance(storage, properties);
    }

    private static String nodeId(ClusterProperties cluster) {
        return cluster.nodeId() == null || cluster.nodeId().isBlank() ? "node" : cluster.nodeId();
    }

    /** Runs the storage probe every interval and sweeps dropped uploads every hour (or retention/4). */
    static final class StorageMaintenance implements SmartLifecycle {

        private final StorageRoot storage;
        private final StorageProperties properties;
        private ScheduledExecutorService scheduler;

        StorageMaintenance(StorageRoot storage, StorageProperties properties) {
            this.storage = storage;
            this.properties = properties;
            storage.health().probe(); // before anything is served
        }

        @Override
        public void start() {
            scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "storage-maintenance");
                thread.setDaemon(true);
                return thread;
            });
            long probeMillis = Math.max(1000, properties.healthInterval().toMillis());
            scheduler.scheduleWithFixedDelay(() -> storage.health().probe(), probeMillis, probeMillis,
                    TimeUnit.MILLISECONDS);
            long retention = properties.partialUploadRetention().toMillis();
            if (retention > 0) {
                long every = Math.min(TimeUnit.HOURS.toMillis(1), Math.max(60_000, retention / 4));
                scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
            }
        }

        void sweep() {
            try {
                int removed = storage.sweepPendingUploads(Instant.now().minus(properties.partialUploadRetention()));
                if (removed > 0) {
                    log.info("Removed {} dropped upload(s) older than {}", removed,
                            properties.partialUploadRetention());
                }
            } catch (Exception e) {
                log.warn("Sweeping dropped uploads failed: {}", e.getMessage());
            }
        }

        @Override
        public void stop() {
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
        }

        @Override
        public boolean isRunning() {
            return scheduler != null && !scheduler.isShutdown();
        }
    }
}
