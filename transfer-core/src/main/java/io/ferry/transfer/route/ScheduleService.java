package io.ferry.transfer.route;

import java.nio.file.FileSystems;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/**
 * Schedules: cron expressions in a time zone that pull files from a partner into an account's folder, or push what
 * an account's folder holds to a partner. A fire becomes work items in the one transaction that records it, and
 * only while this node holds the primary lease with the token it stamps on the fire: a deposed primary cannot fire,
 * and the unique (schedule, fire time) row means a fire happens at most once, whichever node tries it and however
 * often. Fires missed while no primary ran (a failover, a restart) are caught up once, or skipped, as the schedule
 * says.
 */
@Service
public class ScheduleService {

    /** A schedule as the API shows it ({@code nextFireAt} in UTC). */
    public record Schedule(String name, String kind, String cron, String timeZone, String partner, String account,
            String folder, String fileGlob, boolean deleteRemote, String postAction, String misfire, boolean enabled,
            Instant nextFireAt) {
    }

    /**
     * What an administrator gives. {@code kind}: {@code pull} (fetch the partner's files matching {@code fileGlob}
     * into {@code folder}; {@code deleteRemote} removes each from the partner once its download is verified) or
     * {@code push} (send the files of {@code folder} matching {@code fileGlob}; then {@code postAction}: keep,
     * delete or archive). {@code cron}: five fields (minute hour day month weekday) or six (seconds first), or a
     * macro such as {@code @daily}; {@code timeZone} an IANA zone (default UTC); {@code misfire}: {@code run-once}
     * (default: fires missed while no primary ran are caught up with one fire) or {@code skip}.
     */
    public record ScheduleRequest(String name, String kind, String cron, String timeZone, String partner,
            String account, String folder, String fileGlob, Boolean deleteRemote, String postAction, String misfire,
            Boolean enabled) {
    }

    /** One fire as it was recorded. */
    public record Fire(long id, String schedule, Instant fireTime, String outcome, int missed, int items,
            String node, long fencingToken, Instant firedAt) {
    }

    /** The files a push sends: absolute paths in the account's home (the caller reads the storage). */
    @FunctionalInterface
    public interface FolderLister {
        List<String> files(String account, String folder, String glob) throws java.io.IOException;
    }

    /** The node no longer holds the primary lease with the token it fired with: nothing was fired. */
    public static final class NotPrimaryException extends RuntimeException {
        NotPrimaryException(String message) {
            super(message);
        }
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Set<String> POST_ACTIONS = Set.of("keep", "delete", "archive");
    private static final int MAX_COUNTED_MISSES = 100_000;
    private static final String SELECT = "SELECT name, kind, cron, time_zone, partner, account, folder, file_glob, "
            + "delete_remote, post_action, misfire, enabled, next_fire_at FROM schedules ";
    private static final RowMapper<Schedule> ROW = (rs, i) -> new Schedule(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
            rs.getBoolean(9), rs.getString(10), rs.getString(11), rs.getBoolean(12),
            rs.getObject(13, LocalDateTime.class).toInstant(ZoneOffset.UTC));
    private static final RowMapper<Fire> FIRE = (rs, i) -> new Fire(rs.getLong(1), rs.getString(2),
            rs.getObject(3, LocalDateTime.class).toInstant(ZoneOffset.UTC), rs.getString(4), rs.getInt(5),
            rs.getInt(6), rs.getString(7), rs.getLong(8), rs.getObject(9, LocalDateTime.class)
                    .toInstant(ZoneOffset.UTC));

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final WorkQueue queue;
    private final Duration misfireThreshold;

    ScheduleService(JdbcTemplate jdbc, PlatformTransactionManager transactions, WorkQueue queue,
            @Value("${ferry.schedules.misfire-threshold:60s}") Duration misfireThreshold) {
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactions);
        this.queue = queue;
        this.misfireThreshold = misfireThreshold;
    }

    public Schedule create(ScheduleRequest r, Instant now) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        Schedule s = validated(r, now, null);
        try {
            jdbc.update("INSERT INTO schedules (name, kind, cron, time_zone, partner, account, folder, file_glob, "
                    + "delete_remote, post_action, misfire, enabled, next_fire_at, created_at, updated_at) VALUES (?, "
                    + "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", s.name(), s.kind(), s.cron(), s.timeZone(),
                    s.partner(), s.account(), s.folder(), s.fileGlob(), s.deleteRemote(), s.postAction(), s.misfire(),
                    s.enabled(), utc(s.nextFireAt()), utc(now), utc(now));
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("schedule '" + r.name() + "' already exists");
        }
        return get(r.name());
    }

    /**
     * Changes the fields given (the others stay). A new cron or time zone, or enabling a disabled schedule, starts
     * from the next fire after now: what the old cron would have fired meanwhile is not caught up.
     */
    public Schedule update(String name, ScheduleRequest r, Instant now) {
        Schedule old = get(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw new IllegalArgumentException("a schedule cannot be renamed; create another");
        }
        Schedule s = validated(new ScheduleRequest(name, or(r.kind(), old.kind()), or(r.cron(), old.cron()),
                or(r.timeZone(), old.timeZone()), or(r.partner(), old.partner()), or(r.account(), old.account()),
                or(r.folder(), old.folder()), or(r.fileGlob(), old.fileGlob()),
                r.deleteRemote() == null ? old.deleteRemote() : r.deleteRemote(), or(r.postAction(), old.postAction()),
                or(r.misfire(), old.misfire()), r.enabled() == null ? old.enabled() : r.enabled()), now, old);
        jdbc.update("UPDATE schedules SET kind = ?, cron = ?, time_zone = ?, partner = ?, account = ?, folder = ?, "
                + "file_glob = ?, delete_remote = ?, post_action = ?, misfire = ?, enabled = ?, next_fire_at = ?, "
                + "updated_at = ? WHERE name = ?", s.kind(), s.cron(), s.timeZone(), s.partner(), s.account(),
                s.folder(), s.fileGlob(), s.deleteRemote(), s.postAction(), s.misfire(), s.enabled(),
                utc(s.nextFireAt()), utc(now), name);
        return get(name);
    }

    private static String or(String value, String fallback) {
        return value == null ? fallback : value;
    }

    /** The request checked and completed with defaults; its next fire after now, or the old one when it holds. */
    private Schedule validated(ScheduleRequest r, Instant now, Schedule old) {
        String kind = r.kind() == null ? "" : r.kind();
        if (!kind.equals("pull") && !kind.equals("push")) {
            throw new IllegalArgumentException("kind must be pull (fetch from the partner) or push (send to it)");
        }
        CronExpression cron = cron(r.cron());
        ZoneId zone = zone(r.timeZone());
        if (r.account() == null || r.account().isBlank()) {
            throw new IllegalArgumentException("account is required");
        }
        Exists.account(jdbc, r.account(), "");
        Exists.partner(jdbc, r.partner());
        String folder = r.folder() == null ? "/" : r.folder();
        if (!folder.startsWith("/") || folder.contains("..")) {
            throw new IllegalArgumentException("folder is an absolute folder in the account's home, e.g. /inbox");
        }
        String glob = r.fileGlob() == null || r.fileGlob().isBlank() ? "*" : r.fileGlob();
        if (glob.contains("/")) {
            throw new IllegalArgumentException("fileGlob matches file names, e.g. *.csv (no '/')");
        }
        FileSystems.getDefault().getPathMatcher("glob:" + glob); // a malformed glob is refused here
        String postAction = r.postAction() == null ? "keep" : r.postAction();
        if (!POST_ACTIONS.contains(postAction) || (kind.equals("pull") && !postAction.equals("keep"))) {
            throw new IllegalArgumentException("postAction is keep, delete or archive, for pushes (a pull removes the "
                    + "partner's copy with deleteRemote)");
        }
        if (kind.equals("push") && Boolean.TRUE.equals(r.deleteRemote())) {
            throw new IllegalArgumentException("deleteRemote is for pulls");
        }
        String misfire = r.misfire() == null ? "run-once" : r.misfire();
        if (!misfire.equals("run-once") && !misfire.equals("skip")) {
            throw new IllegalArgumentException("misfire must be run-once (catch missed fires up once) or skip");
        }
        boolean enabled = r.enabled() == null || r.enabled();
        boolean sameTimes = old != null && old.enabled() && old.cron().equals(r.cron().trim())
                && old.timeZone().equals(zone.getId());
        Instant next = sameTimes ? old.nextFireAt() : next(cron, zone, now);
        return new Schedule(r.name(), kind, r.cron().trim(), zone.getId(), r.partner(), r.account(), folder, glob,
                Boolean.TRUE.equals(r.deleteRemote()), postAction, misfire, enabled, next);
    }

    public Schedule get(String name) {
        List<Schedule> found = jdbc.query(SELECT + "WHERE name = ?", ROW, name);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("schedule '" + name + "' not found");
        }
        return found.get(0);
    }

    public List<Schedule> list() {
        return jdbc.query(SELECT + "ORDER BY name", ROW);
    }

    /** Enables or disables a schedule; enabling starts from the next fire after now (nothing missed meanwhile). */
    public Schedule setEnabled(String name, boolean enabled, Instant now) {
        Schedule s = get(name);
        Instant next = enabled && !s.enabled() ? next(cron(s.cron()), ZoneId.of(s.timeZone()), now) : s.nextFireAt();
        jdbc.update("UPDATE schedules SET enabled = ?, next_fire_at = ?, updated_at = ? WHERE name = ?", enabled,
                utc(next), utc(now), name);
        return get(name);
    }

    public void delete(String name) {
        if (jdbc.update("DELETE FROM schedules WHERE name = ?", name) == 0) {
            throw new AccountNotFoundException("schedule '" + name + "' not found");
        }
    }

    /** The names of the enabled schedules due at {@code now}. */
    public List<String> due(Instant now) {
        return jdbc.queryForList("SELECT name FROM schedules WHERE enabled = TRUE AND next_fire_at <= ? ORDER BY "
                + "next_fire_at", String.class, utc(now));
    }

    /** The latest fires of a schedule, newest first. */
    public List<Fire> fires(String name, int limit) {
        get(name);
        return jdbc.query("SELECT id, schedule, fire_time, outcome, missed, items, node_id, fencing_token, fired_at "
                + "FROM schedule_fires WHERE schedule = ? ORDER BY fire_time DESC LIMIT ?", FIRE, name, limit);
    }

    /**
     * Fires the schedule if it is due at {@code now}: the latest fire time not after {@code now} is fired (or, when
     * it is later than the misfire threshold and the schedule says {@code skip}, recorded as skipped), the fires
     * before it that nobody ran are counted as missed, and the next fire time moves past {@code now}. All of it in
     * one transaction that first checks, under the lease row's lock, that {@code node} still holds the primary
     * lease with {@code token}.
     *
     * @return the fire, or empty when the schedule was not due (or another fire of it won the race)
     * @throws NotPrimaryException when {@code node} does not hold the lease with {@code token}
     */
    public Optional<Fire> fire(String name, Instant now, String node, long token, FolderLister lister)
            throws java.io.IOException {
        Schedule s = get(name);
        if (!s.enabled() || s.nextFireAt().isAfter(now)) {
            return Optional.empty();
        }
        CronExpression cron = cron(s.cron());
        ZoneId zone = ZoneId.of(s.timeZone());
        Instant latest = s.nextFireAt();
        int missed = 0;
        for (Instant t = next(cron, zone, latest); t != null && !t.isAfter(now) && missed < MAX_COUNTED_MISSES;
                t = next(cron, zone, t)) {
            latest = t;
            missed++;
        }
        boolean late = Duration.between(latest, now).compareTo(misfireThreshold) > 0;
        String outcome = late && s.misfire().equals("skip") ? "skipped" : "fired";
        Instant next = next(cron, zone, now);
        List<String> files = outcome.equals("fired") && s.kind().equals("push")
                ? lister.files(s.account(), s.folder(), s.fileGlob()) : List.of();
        Instant fireTime = latest;
        int counted = missed;
        return Optional.ofNullable(transactions.execute(tx -> {
            fence(node, token);
            if (jdbc.update("UPDATE schedules SET next_fire_at = ? WHERE name = ? AND next_fire_at = ? AND enabled = "
                    + "TRUE", utc(next), name, utc(s.nextFireAt())) != 1) {
                return null; // fired meanwhile by another call
            }
            Integer done = jdbc.queryForObject("SELECT COUNT(*) FROM schedule_fires WHERE schedule = ? AND "
                    + "fire_time = ?", Integer.class, name, utc(fireTime));
            if (done != null && done > 0) {
                return null; // that fire time ran already (a run-now at the same instant): just move on
            }
            return record(s, fireTime, outcome, counted, files, node, token, now);
        }));
    }

    /**
     * Runs the schedule now, outside its cron (an administrator's "run now"): a fire of its own, at {@code now}, with
     * fencing token 0 (not a scheduled fire); the cron's next fire is unchanged.
     */
    public Fire runNow(String name, Instant now, String node, FolderLister lister) throws java.io.IOException {
        Schedule s = get(name);
        List<String> files = s.kind().equals("push") ? lister.files(s.account(), s.folder(), s.fileGlob())
                : List.of();
        Instant fireTime = now.truncatedTo(ChronoUnit.MILLIS);
        try {
            return transactions.execute(tx -> record(s, fireTime, "manual", 0, files, node, 0, now));
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("schedule '" + name + "' was just run; try again");
        }
    }

    private Fire record(Schedule s, Instant fireTime, String outcome, int missed, List<String> files, String node,
            long token, Instant now) {
        if (s.kind().equals("push")) {
            // a file an earlier fire queued and that is still on its way (a partner that was down) is not queued again
            java.util.Set<String> open = new java.util.HashSet<>(jdbc.queryForList("SELECT path FROM work_items "
                    + "WHERE state IN ('queued', 'running') AND kind = 'deliver' AND account = ? AND partner = ?",
                    String.class, s.account(), s.partner()));
            files = files.stream().filter(file -> !open.contains(file)).toList();
        }
        int items = outcome.equals("skipped") ? 0 : s.kind().equals("pull") ? 1 : files.size();
        jdbc.update("INSERT INTO schedule_fires (schedule, fire_time, outcome, missed, items, node_id, fencing_token, "
                + "fired_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", s.name(), utc(fireTime), outcome, missed, items, node,
                token, utc(now));
        Fire fire = jdbc.queryForObject("SELECT id, schedule, fire_time, outcome, missed, items, node_id, "
                + "fencing_token, fired_at FROM schedule_fires WHERE schedule = ? AND fire_time = ?", FIRE, s.name(),
                utc(fireTime));
        if (outcome.equals("skipped")) {
            return fire;
        }
        if (s.kind().equals("pull")) {
            queue.enqueue("pull", s.name(), "fire-" + fire.id(), 0, s.account(), s.folder(), s.partner(),
                    s.fileGlob(), null, s.deleteRemote() ? "delete-remote" : "keep");
        } else {
            for (int i = 0; i < files.size(); i++) {
                String file = files.get(i);
                queue.enqueue("deliver", s.name(), "fire-" + fire.id() + "-" + i, 0, s.account(), file, s.partner(),
                        java.nio.file.Path.of(file).getFileName().toString(), null, s.postAction());
            }
        }
        return fire;
    }

    /** Holds the lease row's lock until the transaction ends, and only while {@code node} holds it with token. */
    private void fence(String node, long token) {
        List<Long> held = jdbc.queryForList("SELECT token FROM cluster_leases WHERE name = 'primary' AND holder = ? "
                + "AND token = ? AND expires_at >= CURRENT_TIMESTAMP(3) FOR UPDATE", Long.class, node, token);
        if (held.isEmpty()) {
            throw new NotPrimaryException(node + " does not hold the primary lease with token " + token);
        }
    }

    /** Five fields get seconds 0 in front; six fields and macros ({@code @hourly}, {@code @daily}) are taken as is. */
    static CronExpression cron(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("cron is required, e.g. \"0 2 * * *\" (02:00 every day)");
        }
        String trimmed = expression.trim();
        try {
            return CronExpression.parse(trimmed.split("\\s+").length == 5 ? "0 " + trimmed : trimmed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cron '" + trimmed + "' is not valid: " + e.getMessage());
        }
    }

    private static ZoneId zone(String zone) {
        try {
            return zone == null || zone.isBlank() ? ZoneOffset.UTC : ZoneId.of(zone);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone '" + zone + "' is not a time zone (e.g. Europe/Berlin, UTC)");
        }
    }

    /** The first fire strictly after {@code after}, computed in the schedule's zone (so DST is followed). */
    static Instant next(CronExpression cron, ZoneId zone, Instant after) {
        var next = cron.next(after.atZone(zone));
        return next == null ? null : next.toInstant();
    }

    private static LocalDateTime utc(Instant instant) {
        return instant == null ? LocalDateTime.of(9999, 12, 31, 0, 0) : LocalDateTime.ofInstant(instant,
                ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
    }
}
