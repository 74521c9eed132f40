package io.ferry.cluster;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import javax.sql.DataSource;

/**
 * The primary role as a lease row in the shared database ({@code cluster_leases}), fenced by a token that grows by
 * one with every new holder. Every decision is taken inside one transaction holding the row lock and against the
 * database's clock ({@code CURRENT_TIMESTAMP(3)}), never a node's: a node takes the lease only when it is free or
 * expired by the database's time (or handed to it), and renews it only while it still holds it unexpired. Every
 * change is recorded in {@code cluster_role_changes}.
 *
 * <p>Hazelcast Community Edition has no CP subsystem; nothing here depends on Hazelcast, so a split cluster still
 * has at most one holder: the one the database says.
 *
 * <p>Times are {@code DATETIME(3)} values of the database session's time zone: every node must use the server's
 * default session time zone (Ferry never changes it).
 */
public final class PrimaryLease {

    /** The lease as the database sees it now. */
    public record State(String holder, long token, LocalDateTime expiresAt, String handoffTo,
            LocalDateTime handoffUntil, LocalDateTime now) {
        public boolean held() {
            return holder != null && !expiresAt.isBefore(now);
        }
    }

    /** One row of the role history. */
    public record RoleChange(long id, String node, long token, String type, String reason,
            LocalDateTime previousExpiresAt, LocalDateTime validUntil, LocalDateTime at) {
    }

    private static final String SELECT_STATE = "SELECT holder, token, expires_at, handoff_to, handoff_until, "
            + "CURRENT_TIMESTAMP(3) FROM cluster_leases WHERE name = ?";

    private final DataSource db;
    private final String name;
    private final long ttlMicros;

    public PrimaryLease(DataSource db, String name, Duration ttl) {
        this.db = db;
        this.name = name;
        this.ttlMicros = ttl.toNanos() / 1000;
    }

    public String name() {
        return name;
    }

    /**
     * Takes the lease for {@code node} if nobody holds it unexpired and it is not handed to another node.
     *
     * @return the new fencing token, or empty when another node holds the lease
     */
    public OptionalLong tryAcquire(String node, String reason) throws SQLException {
        return transaction(c -> {
            State state = lockedState(c);
            if (state == null) {
                insertRow(c);
                state = lockedState(c);
            }
            boolean handedElsewhere = state.handoffTo() != null && !state.handoffTo().equals(node)
                    && state.handoffUntil() != null && !state.handoffUntil().isBefore(state.now());
            if (state.held() || handedElsewhere) {
                return OptionalLong.empty();
            }
            long token = state.token() + 1;
            try (PreparedStatement update = c.prepareStatement("UPDATE cluster_leases SET holder = ?, token = ?, "
                    + "expires_at = TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)), handoff_to = NULL, "
                    + "handoff_until = NULL WHERE name = ?")) {
                update.setString(1, node);
                update.setLong(2, token);
                update.setLong(3, ttlMicros);
                update.setString(4, name);
                update.executeUpdate();
            }
            record(c, node, token, "acquired", reason, state.expiresAt(), null);
            return OptionalLong.of(token);
        });
    }

    /**
     * Extends the lease by its time to live, from the database's now, if {@code node} still holds it with
     * {@code token} and it has not expired.
     *
     * @return the new expiry (database time), or empty when the lease is no longer this node's
     */
    public Optional<LocalDateTime> renew(String node, long token) throws SQLException {
        return transaction(c -> {
            try (PreparedStatement update = c.prepareStatement("UPDATE cluster_leases SET expires_at = "
                    + "TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)) WHERE name = ? AND holder = ? AND token = ? "
                    + "AND expires_at >= CURRENT_TIMESTAMP(3)")) {
                update.setLong(1, ttlMicros);
                update.setString(2, name);
                update.setString(3, node);
                update.setLong(4, token);
                if (update.executeUpdate() != 1) {
                    return Optional.empty();
                }
            }
            return Optional.of(lockedState(c).expiresAt());
        });
    }

    /**
     * Gives the lease up at once if {@code node} holds it with {@code token}; with {@code handoffTo}, only that node
     * may take it during {@code handoffFor}.
     */
    public void release(String node, long token, String handoffTo, Duration handoffFor, String reason)
            throws SQLException {
        transaction(c -> {
            State state = lockedState(c);
            if (state == null || !node.equals(state.holder()) || state.token() != token) {
                return null;
            }
            try (PreparedStatement update = c.prepareStatement("UPDATE cluster_leases SET holder = NULL, "
                    + "expires_at = CURRENT_TIMESTAMP(3), handoff_to = ?, handoff_until = "
                    + "TIMESTAMPADD(MICROSECOND, ?, CURRENT_TIMESTAMP(3)) WHERE name = ?")) {
                update.setString(1, handoffTo);
                update.setLong(2, handoffTo == null ? 0 : handoffFor.toNanos() / 1000);
                update.setString(3, name);
                update.executeUpdate();
            }
            LocalDateTime validUntil = state.expiresAt().isBefore(state.now()) ? state.expiresAt() : state.now();
            record(c, node, token, "released", reason, null, validUntil);
            return null;
        });
    }

    /** Database work that needs one transaction. */
    private interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    private <T> T transaction(Work<T> work) throws SQLException {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Records that {@code node} stopped acting as primary without releasing (it could not renew in time). */
    public void recordLost(String node, long token, LocalDateTime validUntil, String reason) throws SQLException {
        try (Connection c = db.getConnection()) {
            record(c, node, token, "lost", reason, null, validUntil);
        }
    }

    /**
     * This node's clock minus the database's, in milliseconds (the database's answer taken at the middle of the
     * round trip). The lease never depends on it; node clocks stamp the transfer log and drive schedules.
     */
    public long clockSkewMillis() throws SQLException {
        try (Connection c = db.getConnection();
                PreparedStatement select = c.prepareStatement("SELECT UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3))")) {
            long before = System.currentTimeMillis();
            try (ResultSet rs = select.executeQuery()) {
                long after = System.currentTimeMillis();
                rs.next();
                long database = rs.getBigDecimal(1).movePointRight(3).longValue();
                return (before + after) / 2 - database;
            }
        }
    }

    /** Records a cluster event (a role change or a lost member) at the database's time. */
    public void recordEvent(String type, String node, String reportedBy, long token, String reason)
            throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement insert = c.prepareStatement("INSERT INTO "
                + "cluster_events (event_type, node_id, reported_by, token, reason, occurred_at) VALUES (?, ?, ?, ?, ?, "
                + "CURRENT_TIMESTAMP(3))")) {
            insert.setString(1, type);
            insert.setString(2, node);
            insert.setString(3, reportedBy);
            insert.setLong(4, token);
            insert.setString(5, reason.length() > 255 ? reason.substring(0, 255) : reason);
            insert.executeUpdate();
        }
    }

    /** The latest cluster events, oldest first. */
    public List<java.util.Map<String, Object>> events(int limit) throws SQLException {
        List<java.util.Map<String, Object>> events = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement select = c.prepareStatement("SELECT id, event_type, "
                + "node_id, reported_by, token, reason, occurred_at FROM cluster_events ORDER BY id DESC LIMIT ?")) {
            select.setInt(1, limit);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    java.util.Map<String, Object> event = new java.util.LinkedHashMap<>();
                    event.put("id", rs.getLong(1));
                    event.put("type", rs.getString(2));
                    event.put("node", rs.getString(3));
                    event.put("reportedBy", rs.getString(4));
                    event.put("token", rs.getLong(5));
                    event.put("reason", rs.getString(6));
                    event.put("at", time(rs, 7));
                    events.add(0, event);
                }
            }
        }
        return events;
    }

    /** The lease now, or empty before anyone ever took it. */
    public Optional<State> state() throws SQLException {
        try (Connection c = db.getConnection(); PreparedStatement select = c.prepareStatement(
                SELECT_STATE)) {
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(state(rs)) : Optional.empty();
            }
        }
    }

    /** The role history, oldest first; at most {@code limit} of the latest rows. */
    public List<RoleChange> history(int limit) throws SQLException {
        List<RoleChange> changes = new ArrayList<>();
        try (Connection c = db.getConnection(); PreparedStatement select = c.prepareStatement(
                "SELECT id, node_id, token, change_type, reason, previous_expires_at, valid_until, changed_at "
                        + "FROM cluster_role_changes WHERE lease = ? ORDER BY id DESC LIMIT ?")) {
            select.setString(1, name);
            select.setInt(2, limit);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    changes.add(0, new RoleChange(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4),
                            rs.getString(5), time(rs, 6), time(rs, 7), time(rs, 8)));
                }
            }
        }
        return changes;
    }

    /**
     * What the role history proves wrong, if anything: every acquisition takes the next token; a holder's validity
     * ended (it released, or its lease expired) before the next holder acquired; and no two holders ever
     * overlapped. Empty means the invariant held.
     */
    public static List<String> violations(List<RoleChange> history) {
        List<String> problems = new ArrayList<>();
        RoleChange previous = null;
        for (RoleChange change : history) {
            if (!change.type().equals("acquired")) {
                continue;
            }
            if (previous != null) {
                if (change.token() != previous.token() + 1) {
                    problems.add("token " + change.token() + " acquired by " + change.node() + " after token "
                            + previous.token() + ": tokens must grow by one");
                }
                if (change.previousExpiresAt() == null || change.at().isBefore(change.previousExpiresAt())) {
                    problems.add("token " + change.token() + " acquired by " + change.node() + " at " + change.at()
                            + " while token " + previous.token() + " of " + previous.node() + " was valid until "
                            + change.previousExpiresAt());
                }
                for (RoleChange end : history) {
                    if (end.token() == previous.token() && end.validUntil() != null
                            && end.validUntil().isAfter(change.at())) {
                        problems.add("token " + previous.token() + " of " + previous.node() + " was valid until "
                                + end.validUntil() + ", after token " + change.token() + " was acquired at "
                                + change.at());
                    }
                }
            }
            previous = change;
        }
        return problems;
    }

    private State lockedState(Connection c) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(SELECT_STATE + " FOR UPDATE")) {
            select.setString(1, name);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? state(rs) : null;
            }
        }
    }

    private void insertRow(Connection c) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO cluster_leases (name, holder, token, expires_at) "
                + "VALUES (?, NULL, 0, CURRENT_TIMESTAMP(3))")) {
            insert.setString(1, name);
            insert.executeUpdate();
        } catch (SQLException e) {
            // another node inserted it first (duplicate key): its row is the one to lock
            if (!"23000".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private void record(Connection c, String node, long token, String type, String reason,
            LocalDateTime previousExpiresAt, LocalDateTime validUntil) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO cluster_role_changes (lease, node_id, token, "
                + "change_type, reason, previous_expires_at, valid_until, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                + "CURRENT_TIMESTAMP(3))")) {
            insert.setString(1, name);
            insert.setString(2, node);
            insert.setLong(3, token);
            insert.setString(4, type);
            insert.setString(5, reason.length() > 255 ? reason.substring(0, 255) : reason);
            setTime(insert, 6, previousExpiresAt);
            setTime(insert, 7, validUntil);
            insert.executeUpdate();
        }
    }

    private static void setTime(PreparedStatement statement, int index, LocalDateTime value) throws SQLException {
        if (value == null) {
            statement.setNull(index, java.sql.Types.TIMESTAMP);
        } else {
            statement.setObject(index, value);
        }
    }

    private static State state(ResultSet rs) throws SQLException {
        return new State(rs.getString(1), rs.getLong(2), time(rs, 3), rs.getString(4), time(rs, 5), time(rs, 6));
    }

    private static LocalDateTime time(ResultSet rs, int column) throws SQLException {
        // DATETIME values as they are, with no time-zone conversion on the way
        return rs.getObject(column, LocalDateTime.class);
    }
}
