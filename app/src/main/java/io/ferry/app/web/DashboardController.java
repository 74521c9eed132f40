package io.ferry.app.web;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;

import io.ferry.app.cluster.ClusterOverview;
import io.ferry.storage.StorageHealth;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.route.WorkQueue;

/** The dashboard: the cluster at a glance, the last hour's transfers, what failed and needs a look. */
@Controller
class DashboardController {

    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration BUCKET = Duration.ofMinutes(5);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    /** One bar of the chart: its label, height in percent of the tallest, and the figures behind it. */
    record Bar(String label, int heightPercent, int failedPercent, long transfers, long failed, long bytes) {
    }

    private final ClusterOverview cluster;
    private final TransferLog transferLog;
    private final WorkQueue queue;
    private final StorageRoot storage;
    private final Notifications notifications;

    DashboardController(ClusterOverview cluster, TransferLog transferLog, WorkQueue queue, StorageRoot storage,
            Notifications notifications) {
        this.notifications = notifications;
        this.cluster = cluster;
        this.transferLog = transferLog;
        this.queue = queue;
        this.storage = storage;
    }

    @GetMapping("/")
    String dashboard(Model model) throws Exception {
        List<ClusterOverview.Member> members = cluster.members();
        var primary = cluster.primary();
        List<TransferLog.Activity> activity = transferLog.activity(Instant.now().minus(HOUR), BUCKET);
        long most = Math.max(1, activity.stream().mapToLong(TransferLog.Activity::transfers).max().orElse(0));
        List<Bar> bars = activity.stream().map(a -> new Bar(CLOCK.format(a.start()),
                (int) (100 * a.transfers() / most), (int) (100 * a.failed() / most), a.transfers(), a.failed(),
                a.bytes())).toList();
        List<WorkQueue.Item> failedItems = queue.list("failed", 10);

        List<String> alerts = new ArrayList<>();
        if (primary.isEmpty()) {
            alerts.add("No primary holds the lease: schedules and folder monitors are not running.");
        }
        members.stream().filter(m -> !m.serving() && "active".equals(m.drain()) && "active-active".equals(m.mode()))
                .forEach(m -> alerts.add("Node " + m.node() + " is not serving."));
        members.stream().filter(m -> Math.abs(m.clockSkewMillis()) > 2000)
                .forEach(m -> alerts.add("Node " + m.node() + "'s clock is " + m.clockSkewMillis() + " ms off."));
        StorageHealth.Status nas = storage.health().status();
        if (!nas.up()) {
            alerts.add("Storage: " + nas.detail());
        }
        if (!failedItems.isEmpty()) {
            alerts.add(failedItems.size() + (failedItems.size() == 10 ? " or more" : "")
                    + " work items failed and wait for a resubmit (File tracking).");
        }

        List<Notifications.Event> events = notifications.events(null, 10);
        Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
        // a missed deadline is the one event somebody must act on today: it goes to the top
        alerts.addAll(0, notifications.events(Notifications.EXPECTATION_MISSED, 10).stream()
                .filter(e -> e.at().isAfter(dayAgo)).map(e -> e.subject() + " (" + CLOCK.format(e.at()) + " UTC).")
                .toList());

        model.addAttribute("events", events);
        model.addAttribute("members", members);
        model.addAttribute("primary", primary.orElse(null));
        model.addAttribute("mode", cluster.mode());
        model.addAttribute("sessions", members.stream().mapToInt(ClusterOverview.Member::sessions).sum());
        model.addAttribute("bars", bars);
        model.addAttribute("hourTransfers", activity.stream().mapToLong(TransferLog.Activity::transfers).sum());
        model.addAttribute("hourFailed", activity.stream().mapToLong(TransferLog.Activity::failed).sum());
        model.addAttribute("hourBytes", activity.stream().mapToLong(TransferLog.Activity::bytes).sum());
        model.addAttribute("queueDepth", queue.depth());
        model.addAttribute("storage", nas);
        model.addAttribute("failedItems", failedItems);
        model.addAttribute("alerts", alerts);
        return "dashboard";
    }
}
