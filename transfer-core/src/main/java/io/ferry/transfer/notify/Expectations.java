package io.ferry.transfer.notify;

import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;

import io.ferry.common.LogText;
import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Expected files: "a file matching {@code pattern} arrives in {@code folder} of {@code account} by {@code time} on
 * {@code days} in {@code timeZone}" ({@code arrival}: a successful upload by a partner, pull or folder monitor) and
 * "a delivery to {@code partner} succeeds by {@code time}" ({@code delivery}). What counts must have ended between
 * the start of the deadline's day (in the zone) and the deadline, as the transfer log says. The primary judges each
 * deadline once it has passed ({@link #evaluate}); the unique (expectation, deadline) row makes each judgement
 * happen once cluster-wide, and a missed one is a {@link Notifications#EXPECTATION_MISSED} event and a count of
 * {@code ferry.expectations.missed}.
 */
public final class Expectations {

    /** An expectation as the API shows it, with its latest judged deadline (null before the first). */
    public record Expectation(String name, String kind, String account, String folder, String pattern,
            String partner, String time, List<String> days, String timeZone, boolean enabled, Instant createdAt,
            Check lastCheck) {
    }

    /**
     * What an administrator gives. {@code kind}: {@code arrival} (with {@code account}, {@code folder}, default
     * {@code /}, and {@code pattern}, a glob on the file name, default {@code *}) or {@code delivery} (with
     * {@code partner}); {@code time}: {@code HH:mm}; {@code days}: {@code MON} to {@code SUN} (default every day);
     * {@code timeZone}: an IANA zone (default UTC). On an update, what is not given stays.
     */
    public record ExpectationRequest(String name, String kind, String account, String folder, String pattern,
            String partner, String time, List<String> days, String timeZone, Boolean enabled) {
    }

    /** One judged deadline. */
    public record Check(String expectation, Instant dueAt, boolean met, Instant checkedAt, String node) {
    }

    private static final Logger log = LoggerFactory.getLogger(Expectations.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern TIME = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
    /** Deadlines older than this are never judged: a primary back after days judges the last few only. */
    static final Duration LOOKBACK = Duration.ofDays(3);
    /** Rows committed this long after the deadline still count (their transfer ended before it). */
    static final Duration GRACE = Duration.ofSeconds(2);
    /** The most '*' a pattern may have, and the longest name it is matched against (a file name's limit). */
    private static final int MAX_STARS = 3;
    private static final int MAX_NAME = 255;
    private static final int MAX_EXPECTATIONS = 10_000;
    private static final String SELECT = "SELECT name, kind, account, folder, pattern, partner, due_time, days, "
            + "time_zone, enabled, created_at, updated_at FROM expectations ";
    private static final RowMapper<Check> CHECK = (rs, i) -> new Check(rs.getString(1), instant(rs.getObject(2,
            LocalDateTime.class)), rs.getBoolean(3), instant(rs.getObject(4, LocalDateTime.class)), rs.getString(5));

    /** A row as stored, with the time it last changed (deadlines before a change are not judged). */
    private record Stored(Expectation expectation, Instant updatedAt) {
    }

    private static final RowMapper<Stored> ROW = (rs, i) -> new Stored(new Expectation(rs.getString(1),
            rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
            List.of(rs.getString(8).split(",")), rs.getString(9), rs.getBoolean(10),
            instant(rs.getObject(11, LocalDateTime.class)), null), instant(rs.getObject(12, LocalDateTime.class)));

    private final JdbcTemplate jdbc;
    private final Notifications notifications;
    private final MeterRegistry meters;

    public Expectations(JdbcTemplate jdbc, Notifications notifications, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.notifications = notifications;
        this.meters = meters;
        Gauge.builder("ferry.expectations.failing", this, Expectations::failing)
                .description("enabled expectations whose latest deadline was missed (cluster-wide)").register(meters);
    }

    public Expectation create(ExpectationRequest r, Instant now) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        Integer count = jdbc.queryForObject("SELECT COUNT(*) FROM expectations", Integer.class);
        if (count != null && count >= MAX_EXPECTATIONS) {
            throw new IllegalStateException("there are " + MAX_EXPECTATIONS + " expectations already");
        }
        Expectation e = validated(r);
        try {
            jdbc.update("INSERT INTO expectations (name, kind, account, folder, pattern, partner, due_time, days, "
                    + "time_zone, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    e.name(), e.kind(), e.account(), e.folder(), e.pattern(), e.partner(), e.time(),
                    String.join(",", e.days()), e.timeZone(), e.enabled(), utc(now), utc(now));
        } catch (DuplicateKeyException duplicate) {
            throw new AccountConflictException("expectation '" + r.name() + "' already exists");
        }
        return get(r.name());
    }

    /** Changes the fields given; deadlines from now on are judged by the new ones. */
    public Expectation update(String name, ExpectationRequest r, Instant now) {
        Expectation old = get(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw new IllegalArgumentException("an expectation cannot be renamed; create another");
        }
        String kind = or(r.kind(), old.kind());
        boolean sameKind = kind.equals(old.kind());
        Expectation e = validated(new ExpectationRequest(name, kind,
                or(r.account(), sameKind ? old.account() : null), or(r.folder(), sameKind ? old.folder() : null),
                or(r.pattern(), sameKind ? old.pattern() : null), or(r.partner(), sameKind ? old.partner() : null),
                or(r.time(), old.time()), r.days() == null ? old.days() : r.days(), or(r.timeZone(), old.timeZone()),
                r.enabled() == null ? old.enabled() : r.enabled()));
        jdbc.update("UPDATE expectations SET kind = ?, account = ?, folder = ?, pattern = ?, partner = ?, "
                + "due_time = ?, days = ?, time_zone = ?, enabled = ?, updated_at = ? WHERE name = ?", e.kind(),
                e.account(), e.folder(), e.pattern(), e.partner(), e.time(), String.join(",", e.days()), e.timeZone(),
                e.enabled(), utc(now), name);
        return get(name);
    }

    public Expectation get(String name) {
        List<Stored> found = jdbc.query(SELECT + "WHERE name = ?", ROW, name);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("expectation '" + name + "' not found");
        }
        return withLastCheck(found.get(0).expectation());
    }

    public List<Expectation> list() {
        return jdbc.query(SELECT + "ORDER BY name", ROW).stream().map(s -> withLastCheck(s.expectation())).toList();
    }

    public void delete(String name) {
        if (jdbc.update("DELETE FROM expectations WHERE name = ?", name) == 0) {
            throw new AccountNotFoundException("expectation '" + name + "' not found");
        }
        jdbc.update("DELETE FROM expectation_checks WHERE expectation = ?", name);
    }

    /** The latest judged deadlines of an expectation, newest first. */
    public List<Check> checks(String name, int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1-1000");
        }
        get(name);
        return jdbc.query("SELECT expectation, due_at, met, checked_at, node_id FROM expectation_checks WHERE "
                + "expectation = ? ORDER BY due_at DESC LIMIT ?", CHECK, name, limit);
    }

    private Expectation withLastCheck(Expectation e) {
        List<Check> last = jdbc.query("SELECT expectation, due_at, met, checked_at, node_id FROM expectation_checks "
                + "WHERE expectation = ? ORDER BY due_at DESC LIMIT 1", CHECK, e.name());
        return last.isEmpty() ? e : new Expectation(e.name(), e.kind(), e.account(), e.folder(), e.pattern(),
                e.partner(), e.time(), e.days(), e.timeZone(), e.enabled(), e.createdAt(), last.get(0));
    }

    /**
     * Judges every enabled expectation's deadlines that passed (by {@link #GRACE}) since it was created or last
     * changed, within {@link #LOOKBACK}, and that nobody judged yet. Only the primary calls this, while
     * {@code primary} says it still is; if two nodes judge at once, the unique row lets one of them win.
     *
     * @return how many deadlines were judged missed
     */
    public int evaluate(Instant now, String node, BooleanSupplier primary) {
        int missed = 0;
        Instant upTo = now.minus(GRACE);
        for (Stored stored : jdbc.query(SELECT + "WHERE enabled = TRUE ORDER BY name", ROW)) {
            try {
                missed += evaluate(stored, now, upTo, node, primary);
            } catch (RuntimeException e) {
                // one expectation that cannot be judged now (its zone gone from the time-zone data, a database
                // hiccup) must not keep the others from being judged; it is tried again at the next tick
                log.warn("Expectation {} not judged: {}", LogText.quoted(stored.expectation().name()),
                        LogText.escaped(e.toString()));
            }
        }
        return missed;
    }

    private int evaluate(Stored stored, Instant now, Instant upTo, String node, BooleanSupplier primary) {
        int missed = 0;
        Expectation e = stored.expectation();
        Instant after = later(stored.updatedAt(), now.minus(LOOKBACK));
        List<Deadlines.Deadline> deadlines = Deadlines.between(LocalTime.parse(e.time()), days(e.days()),
                ZoneId.of(e.timeZone()), after, upTo);
        if (deadlines.isEmpty()) {
            return 0;
        }
        Set<Instant> judged = new HashSet<>(jdbc.query("SELECT due_at FROM expectation_checks WHERE expectation "
                + "= ? AND due_at > ?", (rs, i) -> instant(rs.getObject(1, LocalDateTime.class)), e.name(),
                utc(after)));
        for (Deadlines.Deadline deadline : deadlines) {
            if (judged.contains(deadline.dueAt()) || !primary.getAsBoolean()) {
                continue;
            }
            boolean met = met(e, deadline);
            try {
                jdbc.update("INSERT INTO expectation_checks (expectation, due_at, met, checked_at, node_id) VALUES "
                        + "(?, ?, ?, ?, ?)", e.name(), utc(deadline.dueAt()), met, utc(now), node);
            } catch (DuplicateKeyException another) {
                continue; // judged by another node meanwhile
            }
            if (!met) {
                missed++;
                missed(e, deadline);
            }
        }
        return missed;
    }

    private void missed(Expectation e, Deadlines.Deadline deadline) {
        meters.counter("ferry.expectations.missed", "expectation", e.name()).increment();
        String when = e.time() + " " + e.timeZone() + " on " + deadline.day() + " ("
                + abbreviation(deadline.day().getDayOfWeek()) + ")";
        String what = e.kind().equals("arrival")
                ? "no file matching " + e.pattern() + " arrived in " + e.folder() + " of account " + e.account()
                : "no delivery to partner " + e.partner() + " succeeded";
        log.warn("Expectation {} missed: {} by {}", LogText.quoted(e.name()), LogText.escaped(what), when);
        notifications.raise(Notifications.EXPECTATION_MISSED, "Expectation " + e.name() + " missed its deadline "
                + deadline.day() + " " + e.time() + " " + e.timeZone(), "Expectation " + e.name() + ": " + what
                + " by " + when + ", that is " + deadline.dueAt() + " UTC.\n\nSee File tracking in the console for "
                + "what did arrive, and Expectations for the expectation's history.");
    }

    /** Whether the transfer log holds what the expectation waits for, ended within the deadline's day. */
    private boolean met(Expectation e, Deadlines.Deadline deadline) {
        // started_at narrows the search to the (account, started_at) index; a day is longer than any transfer
        LocalDateTime earliestStart = utc(deadline.windowStart().minus(Duration.ofDays(1)));
        LocalDateTime from = utc(deadline.windowStart());
        LocalDateTime due = utc(deadline.dueAt());
        if (e.kind().equals("delivery")) {
            return !jdbc.queryForList("SELECT id FROM transfers WHERE outcome = 'SUCCESS' AND started_at >= ? AND "
                    + "started_at <= ? AND direction = 'OUTBOUND' AND client_address = ? AND ended_at >= ? AND "
                    + "ended_at <= ? LIMIT 1", Long.class, earliestStart, due, e.partner(), from, due).isEmpty();
        }
        String prefix = e.folder().equals("/") ? "/" : e.folder() + "/";
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + e.pattern());
        // the folder's own files: the LIKE narrows to the folder, the matcher decides (no subfolders, the glob)
        List<String> paths = jdbc.queryForList("SELECT path FROM transfers WHERE account = ? AND started_at >= ? AND "
                + "started_at <= ? AND direction IN ('UPLOAD', 'INBOUND') AND outcome = 'SUCCESS' AND ended_at >= ? "
                + "AND ended_at <= ? AND path LIKE ? ESCAPE '!' LIMIT 100000", String.class, e.account(),
                earliestStart, due, from, due, like(prefix) + "%");
        for (String path : paths) {
            // the database's LIKE may ignore case or accents: the folder is compared here, exactly
            if (!path.startsWith(prefix)) {
                continue;
            }
            String name = path.substring(prefix.length());
            if (!name.isEmpty() && name.length() <= MAX_NAME && name.indexOf('/') < 0 && matches(matcher, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matches(PathMatcher matcher, String name) {
        try {
            return matcher.matches(Path.of(name));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    /** Enabled expectations whose latest deadline was missed; NaN when the database cannot say. */
    double failing() {
        try {
            Long count = jdbc.queryForObject("SELECT COUNT(*) FROM expectations e JOIN expectation_checks c ON "
                    + "c.expectation = e.name WHERE e.enabled = TRUE AND c.met = FALSE AND c.due_at = (SELECT "
                    + "MAX(l.due_at) FROM expectation_checks l WHERE l.expectation = e.name)", Long.class);
            return count == null ? 0 : count;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The request checked and completed with defaults. */
    private Expectation validated(ExpectationRequest r) {
        String kind = r.kind() == null ? "" : r.kind();
        String account = null;
        String folder = null;
        String pattern = null;
        String partner = null;
        if (kind.equals("arrival")) {
            if (r.partner() != null) {
                throw new IllegalArgumentException("partner is for deliveries; an arrival names account and folder");
            }
            account = required(r.account(), "account");
            exists("SELECT COUNT(*) FROM accounts WHERE username = ?", account, "account");
            folder = folder(r.folder());
            pattern = pattern(r.pattern());
        } else if (kind.equals("delivery")) {
            if (r.account() != null || r.folder() != null || r.pattern() != null) {
                throw new IllegalArgumentException("account, folder and pattern are for arrivals; a delivery names "
                        + "the partner");
            }
            partner = required(r.partner(), "partner");
            exists("SELECT COUNT(*) FROM partners WHERE name = ?", partner, "partner");
        } else {
            throw new IllegalArgumentException("kind must be arrival (a file comes in) or delivery (a file goes out "
                    + "to a partner)");
        }
        if (r.time() == null || !TIME.matcher(r.time()).matches() || r.time().equals("00:00")) {
            // what counts must end on the deadline's own day: 00:00 would leave none of it
            throw new IllegalArgumentException("time must be HH:mm (00:01-23:59; by midnight is 23:59)");
        }
        List<String> days = r.days() == null ? weekOrder(EnumSet.allOf(DayOfWeek.class)) : dayNames(r.days());
        return new Expectation(r.name(), kind, account, folder, pattern, partner, r.time(), days,
                zone(r.timeZone()).getId(), r.enabled() == null || r.enabled(), null, null);
    }

    private void exists(String count, String name, String what) {
        Integer found = jdbc.queryForObject(count, Integer.class, name);
        if (found == null || found == 0) {
            throw new AccountNotFoundException(what + " '" + name + "' not found");
        }
    }

    private static String required(String value, String what) {
        if (value == null || value.isBlank() || value.length() > 64) {
            throw new IllegalArgumentException(what + " is required (at most 64 characters)");
        }
        return value;
    }

    private static String folder(String given) {
        String folder = given == null || given.isBlank() ? "/" : given;
        if (folder.length() > 1 && folder.endsWith("/")) {
            folder = folder.substring(0, folder.length() - 1);
        }
        if (!folder.startsWith("/") || folder.length() > 512 || folder.contains("//") || folder.contains("\\")
                || ("/" + folder + "/").contains("/../") || ("/" + folder + "/").contains("/./")
                || !folder.equals(Notifications.oneLine(folder, 512))) {
            throw new IllegalArgumentException("folder is an absolute folder in the account's home, e.g. /inbox");
        }
        return folder;
    }

    private static String pattern(String given) {
        String pattern = given == null || given.isBlank() ? "*" : given;
        if (pattern.length() > 256 || pattern.contains("/") || !pattern.equals(Notifications.oneLine(pattern, 256))) {
            throw new IllegalArgumentException("pattern is a glob on the file name, e.g. orders-*.csv (at most 256 "
                    + "characters, no '/')");
        }
        // a glob is matched by backtracking: each '*' multiplies the work on a partner's long, near-miss names
        if (pattern.chars().filter(c -> c == '*').count() > MAX_STARS) {
            throw new IllegalArgumentException("pattern may have at most " + MAX_STARS + " '*'");
        }
        try {
            FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("pattern is not a valid glob: " + e.getDescription());
        }
        return pattern;
    }

    private static ZoneId zone(String given) {
        if (given == null || given.isBlank()) {
            return ZoneOffset.UTC;
        }
        if (given.length() > 64) {
            throw new IllegalArgumentException("timeZone is an IANA time zone, e.g. Europe/Berlin");
        }
        try {
            return ZoneId.of(given);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone is an IANA time zone, e.g. Europe/Berlin");
        }
    }

    private static List<String> dayNames(List<String> given) {
        if (given.isEmpty() || given.size() > 7) {
            throw new IllegalArgumentException("days: 1-7 of MON, TUE, WED, THU, FRI, SAT, SUN");
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String name : given) {
            DayOfWeek day = name == null ? null : dayOf(name);
            if (day == null) {
                throw new IllegalArgumentException("days: 1-7 of MON, TUE, WED, THU, FRI, SAT, SUN");
            }
            days.add(day);
        }
        return weekOrder(days);
    }

    private static DayOfWeek dayOf(String name) {
        for (DayOfWeek day : DayOfWeek.values()) {
            if (abbreviation(day).equalsIgnoreCase(name.strip())) {
                return day;
            }
        }
        return null;
    }

    private static List<String> weekOrder(Set<DayOfWeek> days) {
        List<String> names = new ArrayList<>();
        for (DayOfWeek day : DayOfWeek.values()) {
            if (days.contains(day)) {
                names.add(abbreviation(day));
            }
        }
        return names;
    }

    static String abbreviation(DayOfWeek day) {
        return day.name().substring(0, 3);
    }

    static Set<DayOfWeek> days(List<String> names) {
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String name : names) {
            DayOfWeek day = dayOf(name);
            if (day != null) {
                days.add(day);
            }
        }
        return days;
    }

    /** {@code text} for a LIKE with the escape character {@code !}: matched as it is. */
    private static String like(String text) {
        return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    private static String or(String value, String fallback) {
        return value == null ? fallback : value;
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static LocalDateTime utc(Instant instant) {
        return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    private static Instant instant(LocalDateTime utc) {
        return utc.toInstant(ZoneOffset.UTC);
    }
}
