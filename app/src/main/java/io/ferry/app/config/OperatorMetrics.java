package io.ferry.app.config;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.stereotype.Component;

import io.ferry.storage.StorageRoot;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.log.TransferListener;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.pgp.PgpKeys;
import io.ferry.transfer.route.WorkQueue;
import io.ferry.transfer.sftp.SftpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * What operators graph and alert on beside the cluster's own meters (docs/operations.md): every transfer-log row
 * as counters of transfers and bytes and a duration histogram, by protocol, direction and outcome (low-cardinality
 * labels only: never an account, a path or a partner); sessions per protocol; work items by state and retries;
 * the storage's free bytes and probe latency.
 */
@Component
class OperatorMetrics {

    private final MeterRegistry meters;
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, DistributionSummary> sizes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> itemsByState = new ConcurrentHashMap<>();

    OperatorMetrics(MeterRegistry meters, TransferLog transferLog, SftpServer sftp, FtpsServer ftps, WorkQueue queue,
            StorageRoot storage, PgpKeys pgpKeys) {
        this.meters = meters;
        transferLog.addListener(new TransferListener() {
            @Override
            public void recorded(TransferRecord row) {
                OperatorMetrics.this.recorded(row);
            }
        });
        // the series partners' transfers make, registered at 0, so that dashboards and alerts see them from the start
        for (String protocol : new String[] {"sftp", "ftps"}) {
            for (String direction : new String[] {"upload", "download", "outbound", "inbound"}) {
                transferMeters(protocol, direction);
                for (String outcome : new String[] {"success", "failed"}) {
                    transferCounter(protocol, direction, outcome);
                }
            }
        }
        Gauge.builder("ferry.sessions", sftp, SftpServer::activeSessions).tag("protocol", "sftp")
                .description("partner sessions open on this node").register(meters);
        Gauge.builder("ferry.sessions", ftps, FtpsServer::activeSessions).tag("protocol", "ftps")
                .description("partner sessions open on this node").register(meters);
        FunctionCounter.builder("ferry.work.retries", queue, WorkQueue::retries)
                .description("failed attempts put back in the queue by this node").register(meters);
        FunctionCounter.builder("ferry.work.exhausted", queue, WorkQueue::exhausted)
                .description("work items that failed their last attempt on this node").register(meters);
        for (String state : new String[] {"queued", "running", "failed"}) {
            Gauge.builder("ferry.work.items", () -> {
                if (state.equals("queued")) { // one query per scrape fills all four
                    queue.countsByState().forEach((s, n) -> itemsByState.computeIfAbsent(s, k -> new AtomicLong())
                            .set(n));
                }
                return itemsByState.computeIfAbsent(state, k -> new AtomicLong()).get();
            }).tag("state", state).description("work items queued, running or failed, cluster-wide").register(meters);
        }
        Gauge.builder("ferry.storage.free", storage, s -> s.health().status().freeBytes()).baseUnit("bytes")
                .description("usable bytes on the storage (NAS) as the last probe saw them").register(meters);
        Gauge.builder("ferry.storage.probe.latency", storage,
                s -> s.health().status().probeLatency().toNanos() / 1e9).baseUnit("seconds")
                .description("how long the last storage probe (write, fsync, read, delete) took").register(meters);
        Gauge.builder("ferry.pgp.keys.expiring", pgpKeys, PgpKeys::expiringCount)
                .description("OpenPGP keys that expire within 30 days or expired within the last 30").register(meters);
        Gauge.builder("ferry.storage.up", storage, s -> s.health().status().up() ? 1 : 0)
                .description("1 while the storage probe succeeds").register(meters);
    }

    private void recorded(TransferRecord r) {
        String protocol = r.getProtocol();
        String direction = r.getDirection().name().toLowerCase(Locale.ROOT);
        String outcome = r.getOutcome().name().toLowerCase(Locale.ROOT);
        transferCounter(protocol, direction, outcome).increment();
        transferMeters(protocol, direction);
        counters.get(protocol + '|' + direction).increment(Math.max(0, r.getBytes()));
        Duration took = Duration.between(r.getStartedAt(), r.getEndedAt());
        timers.get(protocol + '|' + direction).record(took.isNegative() ? Duration.ZERO : took);
        sizes.get(protocol + '|' + direction).record(Math.max(0, r.getBytes()));
    }

    private Counter transferCounter(String protocol, String direction, String outcome) {
        return counters.computeIfAbsent(protocol + '|' + direction + '|' + outcome, k -> Counter.builder(
                "ferry.transfers").tags("protocol", protocol, "direction", direction, "outcome", outcome)
                .description("transfers finished or failed (transfer-log rows)").register(meters));
    }

    /** The bytes counter, the duration timer and the size histogram of one protocol and direction. */
    private void transferMeters(String protocol, String direction) {
        String key = protocol + '|' + direction;
        counters.computeIfAbsent(key, k -> Counter.builder("ferry.transfer.bytes")
                .tags("protocol", protocol, "direction", direction).baseUnit("bytes")
                .description("bytes moved by transfers").register(meters));
        timers.computeIfAbsent(key, k -> Timer.builder("ferry.transfer.duration")
                .tags("protocol", protocol, "direction", direction)
                .description("how long transfers took: the spread against the longest tells capacity")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofHours(2)).register(meters));
        sizes.computeIfAbsent(key, k -> DistributionSummary.builder("ferry.transfer.size")
                .tags("protocol", protocol, "direction", direction).baseUnit("bytes")
                .description("bytes per transfer").serviceLevelObjectives(4096, 65536, 1 << 20, 16 << 20, 256 << 20,
                        1L << 30).register(meters));
    }
}
