package io.ferry.transfer.notify;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.ferry.cluster.PrimaryElection;
import io.ferry.common.LogText;

/**
 * What only the primary runs for notifications: the expectations' deadlines, judged every
 * {@code ferry.notify.check-interval}; the {@link Reminder}s (keys near expiry) and the purge of old events, hourly.
 * Like the schedules, a node that stops being primary stops at its next tick, and the new primary judges what nobody
 * judged yet.
 */
public final class ExpectationWatch implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ExpectationWatch.class);

    private final Expectations expectations;
    private final Notifications notifications;
    private final PrimaryElection election;
    private final Duration interval;
    private final List<Reminder> reminders;
    private ScheduledExecutorService ticker;
    private volatile boolean running;

    public ExpectationWatch(Expectations expectations, Notifications notifications, PrimaryElection election,
            Duration interval, List<Reminder> reminders) {
        this.reminders = List.copyOf(reminders);
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("ferry.notify.check-interval must be at least 100ms");
        }
        this.expectations = expectations;
        this.notifications = notifications;
        this.election = election;
        this.interval = interval;
    }

    @Override
    public void start() {
        ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-expectations");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(() -> guarded(this::judge), interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        ticker.scheduleWithFixedDelay(() -> guarded(this::hourly), 1, 60, TimeUnit.MINUTES);
        running = true;
    }

    /** Runs a periodic task on the primary only; nothing it throws cancels its schedule. */
    private void guarded(Runnable task) {
        try {
            if (running && election.isPrimary()) {
                task.run();
            }
        } catch (RuntimeException | Error e) { // nothing may cancel the schedule: it would stop without a word
            log.warn("Expectations: {}", LogText.quoted(e.toString()));
        }
    }

    private void judge() {
        expectations.evaluate(Instant.now(), election.node(), election::isPrimary);
    }

    private void hourly() {
        for (Reminder reminder : reminders) {
            try {
                reminder.remind(notifications);
            } catch (RuntimeException e) {
                log.warn("Reminder {}: {}", reminder.getClass().getSimpleName(), LogText.quoted(e.toString()));
            }
        }
        purge();
    }

    private void purge() {
        int purged = notifications.purge();
        if (purged > 0) {
            log.info("Deleted {} old notification events", purged);
        }
    }

    @Override
    public void stop() {
        running = false;
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
