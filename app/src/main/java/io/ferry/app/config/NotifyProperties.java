package io.ferry.app.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Notifications and expected files ({@code ferry.notify.*}; docs/notifications.md). The SMTP server is Spring's
 * {@code spring.mail.*}: without {@code spring.mail.host} nothing is mailed, and events still go to the webhook
 * ({@code cluster.webhook-url}), the console and the API.
 *
 * @param mailFrom      the sender address of notification mails
 * @param repeatAfter   the same event about the same subject is notified at most once this long (per node); zero:
 *                      every time
 * @param mailsPerHour  mails a node sends per hour at most, whatever the events; 0 or less: no limit
 * @param keepEvents    how long the event history (console, API) keeps an event
 * @param maxEvents     how many events the history keeps at most (the oldest go first); at least 1
 * @param checkInterval how often the primary judges the expectations' deadlines that passed
 */
@ConfigurationProperties("ferry.notify")
public record NotifyProperties(
        @DefaultValue("ferry@localhost") String mailFrom,
        @DefaultValue("1h") Duration repeatAfter,
        @DefaultValue("60") int mailsPerHour,
        @DefaultValue("30d") Duration keepEvents,
        @DefaultValue("100000") int maxEvents,
        @DefaultValue("5s") Duration checkInterval) {

    public NotifyProperties {
        if (repeatAfter.isNegative()) {
            throw new IllegalArgumentException("ferry.notify.repeat-after must not be negative");
        }
        if (keepEvents.compareTo(Duration.ofHours(1)) < 0) {
            throw new IllegalArgumentException("ferry.notify.keep-events must be at least 1h");
        }
        if (maxEvents < 1) {
            throw new IllegalArgumentException("ferry.notify.max-events must be at least 1");
        }
        if (checkInterval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("ferry.notify.check-interval must be at least 100ms");
        }
    }
}
