package io.ferry.transfer.notify;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.mail.MailException;
import org.springframework.mail.SimpleMailMessage;
import org.springframework.mail.javamail.JavaMailSender;

import io.ferry.common.LogText;
import io.ferry.common.SecretText;
import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.route.WorkQueue;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Tells people what needs them: each event is recorded (the console's and the API's history), counted
 * ({@code ferry.notifications.events}), POSTed to the {@link Webhook} and mailed to its rule's recipients. All of it
 * happens on a thread of its own: {@link #raise} never blocks and never fails its caller. The same event and subject
 * are notified at most once per {@link Options#repeatAfter()} on a node, and at most {@link Options#mailsPerHour()}
 * mails leave a node per hour; what either holds back is counted ({@code ferry.notifications.suppressed}).
 */
public final class Notifications {

    /** A file an expectation waited for did not come, or a delivery it waited for did not succeed, in time. */
    public static final String EXPECTATION_MISSED = "expectation-missed";
    /** A work item failed its last attempt and waits for an administrator. */
    public static final String WORK_FAILED = "work-failed";
    /** A partner's OpenPGP key expires soon. */
    public static final String KEY_EXPIRING = "key-expiring";
    /** Ferry's FTPS certificate expires soon. */
    public static final String CERTIFICATE_EXPIRING = "certificate-expiring";
    /** A node took the primary role. */
    public static final String FAILOVER = "failover";
    /** Every event, in the order the console lists them. */
    public static final List<String> EVENTS = List.of(EXPECTATION_MISSED, WORK_FAILED, KEY_EXPIRING,
            CERTIFICATE_EXPIRING, FAILOVER);

    /** One notified event as the API shows it. */
    public record Event(long id, String event, String subject, String message, Instant at, String node) {
    }

    /** Who is mailed about an event. */
    public record Rule(String event, List<String> recipients) {
    }

    /**
     * Limits (see {@code ferry.notify.*}).
     *
     * @param mailFrom     the sender address of the mails
     * @param repeatAfter  the same event and subject are notified at most once this long; zero: every time
     * @param mailsPerHour mails a node sends per hour at most; 0 or less: no limit
     * @param keepEvents   how long the history keeps an event
     * @param maxEvents    how many events the history keeps at most
     */
    public record Options(String mailFrom, Duration repeatAfter, int mailsPerHour, Duration keepEvents,
            int maxEvents) {
    }

    static final int MAX_SUBJECT = 256;
    static final int MAX_MESSAGE = 4000;
    private static final Logger log = LoggerFactory.getLogger(Notifications.class);
    private static final RowMapper<Event> EVENT = (rs, i) -> new Event(rs.getLong(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getObject(5, LocalDateTime.class).toInstant(ZoneOffset.UTC),
            rs.getString(6));

    private final JdbcTemplate jdbc;
    private final MeterRegistry meters;
    private final Webhook webhook;
    private final JavaMailSender mail;
    private final String node;
    private final Options options;
    private final RateLimit repeats = new RateLimit();
    private final MailBudget mails;
    private final ExecutorService sender;

    /**
     * @param mail the mailer, or null when no SMTP server is configured ({@code spring.mail.host}): then nothing is
     *             mailed, and everything else still happens
     */
    public Notifications(JdbcTemplate jdbc, MeterRegistry meters, Webhook webhook, JavaMailSender mail, String node,
            Options options) {
        this.jdbc = jdbc;
        this.meters = meters;
        this.webhook = webhook;
        this.mail = mail;
        this.node = node;
        this.options = options;
        this.mails = new MailBudget(options.mailsPerHour());
        // one sender: events go out in order, and a slow SMTP server holds back mail, not the callers; the bounded
        // queue keeps a storm of events from filling the heap (what does not fit is counted and dropped)
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1000), runnable -> {
            Thread thread = new Thread(runnable, "ferry-notifications");
            thread.setDaemon(true);
            return thread;
        });
        for (String event : EVENTS) {
            Counter.builder("ferry.notifications.events").tag("event", event)
                    .description("events notified (recorded, POSTed to the webhook, mailed)").register(meters);
        }
        if (mail == null) {
            log.info("Notifications: no mail (spring.mail.host is not set); events go to the webhook and history");
        }
    }

    /** Whether mail can be sent (an SMTP server is configured). */
    public boolean mailEnabled() {
        return mail != null;
    }

    /**
     * Notifies an event, unless the same event and subject were notified within {@code ferry.notify.repeat-after}.
     * Returns at once; never throws.
     *
     * @param event   one of {@link #EVENTS}
     * @param subject what the event is about, in a few words (a mail's subject; with the event the rate limit's key)
     * @param message what happened and what to do, for a person; it must hold no secret
     */
    public void raise(String event, String subject, String message) {
        raise(event, subject, message, options.repeatAfter());
    }

    /** {@link #raise(String, String, String)} with a repeat interval of the caller's (a daily reminder). */
    public void raise(String event, String subject, String message, Duration repeatAfter) {
        if (!EVENTS.contains(event)) {
            log.warn("Notification of an unknown event {} dropped", LogText.quoted(event));
            return;
        }
        String title = oneLine(subject, MAX_SUBJECT);
        String text = bounded(SecretText.redacted(message == null ? "" : message), MAX_MESSAGE);
        if (!repeats.first(event + '\n' + title, repeatAfter)) {
            suppressed(event, "repeat");
            return;
        }
        Instant at = Instant.now();
        try {
            sender.execute(() -> deliver(event, title, text, at));
        } catch (RejectedExecutionException e) {
            // a burst (of failed items, say) filled the queue: this one is kept for the console at least, and may be
            // sent when it is raised again
            suppressed(event, "backlog");
            repeats.forget(event + '\n' + title);
            record(event, title, text, at);
            return;
        }
        meters.counter("ferry.notifications.events", "event", event).increment();
        log.info("Notification {}: {}", event, LogText.escaped(title));
    }

    private void suppressed(String event, String reason) {
        meters.counter("ferry.notifications.suppressed", "event", event, "reason", reason).increment();
    }

    private void record(String event, String subject, String message, Instant at) {
        try {
            jdbc.update("INSERT INTO notification_events (event_type, subject, message, at, node_id) VALUES (?, ?, ?, "
                    + "?, ?)", event, subject, message, utc(at), node);
        } catch (DataAccessException e) {
            log.warn("Could not record notification {}: {}", event, LogText.escaped(e.getMostSpecificCause()
                    .toString()));
        }
    }

    private void deliver(String event, String subject, String message, Instant at) {
        record(event, subject, message, at);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", event);
        body.put("subject", subject);
        body.put("message", message);
        body.put("node", node);
        body.put("at", at.toString());
        webhook.post("notification " + event, body);
        if (mail == null) {
            return;
        }
        List<String> recipients;
        try {
            recipients = recipients(event);
        } catch (DataAccessException e) {
            log.warn("Could not read who to mail about {}: {}", event, LogText.escaped(e.getMostSpecificCause()
                    .toString()));
            return;
        }
        if (recipients.isEmpty()) {
            return;
        }
        if (!mails.take()) {
            suppressed(event, "mail-limit");
            return;
        }
        send(event, subject, message, at, recipients);
    }

    /** Sends one mail; false when the SMTP server refused it or could not be reached (logged and counted). */
    private boolean send(String event, String subject, String message, Instant at, List<String> recipients) {
        SimpleMailMessage mailed = new SimpleMailMessage();
        if (!options.mailFrom().isBlank()) {
            mailed.setFrom(options.mailFrom());
        }
        mailed.setTo(recipients.toArray(String[]::new));
        mailed.setSubject("[Ferry] " + subject);
        mailed.setText(message + "\n\n-- \nEvent: " + event + "\nNode: " + node + "\nAt: " + at + "\n");
        try {
            mail.send(mailed);
            meters.counter("ferry.notifications.mails", "outcome", "sent").increment();
            return true;
        } catch (MailException e) {
            meters.counter("ferry.notifications.mails", "outcome", "failed").increment();
            log.warn("Could not mail notification {} to {} recipient(s): {}", event, recipients.size(),
                    LogText.escaped(e.getMostSpecificCause().toString()));
            return false;
        }
    }

    /**
     * Mails a test message to the recipients of {@code event} now (counted against the hourly limit).
     *
     * @return the recipients
     * @throws IllegalStateException when no SMTP server is configured, the hourly limit is reached, or the server
     *                               refused the mail
     */
    public List<String> sendTest(String event) {
        Rule rule = rule(event);
        if (mail == null) {
            throw new IllegalStateException("no mail server is configured (spring.mail.host)");
        }
        if (!mails.take()) {
            throw new IllegalStateException("the hourly mail limit (ferry.notify.mails-per-hour) is reached");
        }
        if (!send(event, "Test of the " + event + " notification", "An administrator sent this test of the "
                + event + " notification from Ferry's console or API.", Instant.now(), rule.recipients())) {
            throw new IllegalStateException("the mail server did not take the mail (the node's log says why)");
        }
        return rule.recipients();
    }

    /** The latest events, newest first; only {@code event}'s when given. */
    public List<Event> events(String event, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1-1000");
        }
        String select = "SELECT id, event_type, subject, message, at, node_id FROM notification_events ";
        if (event == null || event.isBlank()) {
            return jdbc.query(select + "ORDER BY id DESC LIMIT ?", EVENT, limit);
        }
        known(event);
        return jdbc.query(select + "WHERE event_type = ? ORDER BY id DESC LIMIT ?", EVENT, event, limit);
    }

    private List<String> recipients(String event) {
        return jdbc.queryForList("SELECT recipients FROM notification_rules WHERE event_type = ?", String.class,
                event).stream().flatMap(stored -> Recipients.split(stored).stream()).toList();
    }

    /** Every event's rule (events nobody is mailed about have none). */
    public List<Rule> rules() {
        return jdbc.query("SELECT event_type, recipients FROM notification_rules ORDER BY event_type",
                (rs, i) -> new Rule(rs.getString(1), Recipients.split(rs.getString(2))));
    }

    public Rule rule(String event) {
        known(event);
        List<String> found = jdbc.queryForList("SELECT recipients FROM notification_rules WHERE event_type = ?",
                String.class, event);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("no notification rule for " + event);
        }
        return new Rule(event, Recipients.split(found.get(0)));
    }

    /** Sets who is mailed about {@code event} (1-20 valid addresses), replacing any rule it had. */
    public Rule putRule(String event, List<String> recipients) {
        known(event);
        String joined = Recipients.joined(recipients);
        LocalDateTime now = utc(Instant.now());
        if (jdbc.update("UPDATE notification_rules SET recipients = ?, updated_at = ? WHERE event_type = ?", joined,
                now, event) == 0) {
            try {
                jdbc.update("INSERT INTO notification_rules (event_type, recipients, updated_at) VALUES (?, ?, ?)",
                        event, joined, now);
            } catch (DuplicateKeyException e) {
                // another administrator created it meanwhile: theirs is replaced, as a later PUT would
                jdbc.update("UPDATE notification_rules SET recipients = ?, updated_at = ? WHERE event_type = ?",
                        joined, now, event);
            }
        }
        return rule(event);
    }

    public void deleteRule(String event) {
        known(event);
        if (jdbc.update("DELETE FROM notification_rules WHERE event_type = ?", event) == 0) {
            throw new AccountNotFoundException("no notification rule for " + event);
        }
    }

    /** Tells about work items that failed their last attempt ({@link #WORK_FAILED}). */
    public WorkQueue.Listener workListener() {
        return new WorkFailures(this);
    }

    /** Deletes events older than {@code ferry.notify.keep-events} and beyond the newest {@code max-events}. */
    public int purge() {
        int purged = jdbc.update("DELETE FROM notification_events WHERE at < ?",
                utc(Instant.now().minus(options.keepEvents())));
        List<Long> oldestKept = jdbc.queryForList("SELECT id FROM notification_events ORDER BY id DESC LIMIT 1 "
                + "OFFSET ?", Long.class, Math.max(0, options.maxEvents() - 1));
        if (!oldestKept.isEmpty()) {
            purged += jdbc.update("DELETE FROM notification_events WHERE id < ?", oldestKept.get(0));
        }
        return purged;
    }

    /** Stops sending; what is still queued is dropped. */
    public void close() {
        sender.shutdownNow();
    }

    private static void known(String event) {
        if (event == null || !EVENTS.contains(event)) {
            throw new IllegalArgumentException("event must be one of " + String.join(", ", EVENTS));
        }
    }

    /** One line (no control or format characters: they could forge mail headers, log lines or the text direction). */
    static String oneLine(String text, int max) {
        String line = text == null ? "" : text.replaceAll("[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+", " ").strip();
        return bounded(line, max);
    }

    private static String bounded(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }

    static LocalDateTime utc(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
