package io.ferry.app.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Service;

/** The audit log: one row per administrative change, kept in the shared database, never changed afterwards. */
@Service
public class AuditLog {

    /**
     * One change.
     *
     * @param channel {@code api} or {@code console}
     * @param outcome what the change answered: the console's message, or the API's error detail
     * @param request what was asked, secrets replaced by {@code "***"}
     * @param before  the resource before the change (API changes of one resource), else null
     * @param after   the resource after the change as the API answered it, else null
     */
    public record Entry(long id, Instant at, String actor, String address, String node, String channel,
            String method, String target, int status, String outcome, String request, String before, String after) {
    }

    private static final RowMapper<Entry> ROW = (rs, n) -> new Entry(rs.getLong("id"),
            rs.getTimestamp("at").toInstant(), rs.getString("actor"), rs.getString("address"), rs.getString("node"),
            rs.getString("channel"), rs.getString("method"), rs.getString("target"), rs.getInt("status"),
            rs.getString("outcome"), rs.getString("request"), rs.getString("before_state"),
            rs.getString("after_state"));

    private final JdbcTemplate jdbc;

    AuditLog(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    void record(Entry e) {
        jdbc.update("INSERT INTO audit_log (at, actor, address, node, channel, method, target, status, outcome, "
                + "request, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Timestamp.from(e.at()), cut(e.actor(), 64), cut(e.address(), 64), cut(e.node(), 64), e.channel(),
                cut(e.method(), 8), cut(e.target(), 512), e.status(), cut(e.outcome(), 1024), cut(e.request(), 60_000),
                cut(e.before(), 60_000), cut(e.after(), 60_000));
    }

    /** The newest entries first, {@code actor} and {@code target} (a substring) filtering when given. */
    public List<Entry> search(String actor, String target, int offset, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_log WHERE 1 = 1");
        List<Object> args = new ArrayList<>();
        if (actor != null) {
            sql.append(" AND actor = ?");
            args.add(actor);
        }
        if (target != null) {
            sql.append(" AND target LIKE ?");
            args.add("%" + target.replace("%", "\\%").replace("_", "\\_") + "%");
        }
        sql.append(" ORDER BY id DESC LIMIT ? OFFSET ?");
        args.add(limit);
        args.add(offset);
        return jdbc.query(sql.toString(), ROW, args.toArray());
    }

    private static String cut(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
