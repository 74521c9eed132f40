package io.ferry.transfer.log;

import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

import javax.sql.DataSource;

import jakarta.persistence.criteria.Predicate;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.stereotype.Service;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.Assert;

import io.ferry.transfer.node.AfterCommit;

/**
 * The transfer log: every upload and download attempt of every protocol, one row each. A row is committed before
 * {@link #record(TransferRecord)} returns, so a protocol that acknowledges a transfer after this call never
 * acknowledges one the log could lose.
 */
@Service
public class TransferLog {

    private static final String INSERT = "INSERT INTO transfers (node, protocol, session_id, account, path, "
            + "direction, start_offset, bytes, sha256, started_at, ended_at, outcome, error, client_address, tls, edge, "
            + "derived_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final TransferRecordRepository records;
    private final List<TransferListener> listeners = new CopyOnWriteArrayList<>();
    /**
     * Rows are written with plain JDBC in a JDBC transaction of their own, not through JPA: one row per file moved,
     * and a JPA transaction (an entity manager opened, the insert flushed, the session closed) cost more CPU than
     * the insert itself (issue 25). What runs in the row's transaction (the listeners, a caller's step, the upload's
     * publication) writes with JDBC too, so it joins it. Not a bean: the application's transaction manager stays
     * JPA's.
     */
    private final JdbcTemplate jdbc;
    private final TransactionTemplate ownTransaction;

    TransferLog(TransferRecordRepository records, DataSource dataSource) {
        this.records = records;
        this.jdbc = new JdbcTemplate(dataSource);
        this.ownTransaction = new TransactionTemplate(new JdbcTransactionManager(dataSource));
        ownTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
    }

    /** Tells {@code listener} of arrivals (in their transaction) and of every committed row. */
    public void addListener(TransferListener listener) {
        listeners.add(listener);
    }

    /** Inserts and commits the row in its own transaction (with what the upload listeners add). */
    public TransferRecord record(TransferRecord record) {
        return inOwnTransaction(() -> save(record));
    }

    /**
     * Inserts the row and runs {@code alsoInTransaction} in the same transaction: both commit, or neither (what a
     * pull or a folder monitor records about the file it took in, so that it is taken in once).
     */
    public TransferRecord record(TransferRecord record, Consumer<TransferRecord> alsoInTransaction) {
        return inOwnTransaction(() -> {
            TransferRecord saved = save(record);
            alsoInTransaction.accept(saved);
            return saved;
        });
    }

    private TransferRecord inOwnTransaction(Supplier<TransferRecord> work) {
        // a caller inside a JPA transaction would have this one run on that transaction's connection, committing
        // or rolling back its work: JPA's manager binds the connection without marking it as a JDBC transaction,
        // so REQUIRES_NEW here would not suspend it
        Assert.state(!TransactionSynchronizationManager.isActualTransactionActive(),
                "a transfer-log row is recorded outside any other transaction");
        return ownTransaction.execute(status -> work.get());
    }

    private TransferRecord save(TransferRecord record) {
        TransferRecord saved;
        if (record.getId() == null) {
            saved = insert(record);
        } else if (jdbc.queryForObject("SELECT COUNT(*) FROM transfers WHERE id = ?", Long.class,
                record.getId()) > 0) {
            // its commit went through after all: the same row, unchanged, and what its listeners wrote with it
            // (the routes' work items) committed with it; they are not told twice
            return record;
        } else {
            // an insert whose commit failed keeps the id it was given: the row is written anew
            saved = insert(record.unsaved());
        }
        if (!listeners.isEmpty()) {
            AfterCommit.run(() -> listeners.forEach(l -> l.recorded(saved)));
        }
        if ((saved.getDirection() == Direction.UPLOAD || saved.getDirection() == Direction.INBOUND)
                && saved.getOutcome() == Outcome.SUCCESS) {
            listeners.forEach(l -> l.arrived(saved));
        }
        return saved;
    }

    /** Inserts the row (times as UTC, as the entity's mapping reads them) and gives it the id the database chose. */
    private TransferRecord insert(TransferRecord r) {
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            PreparedStatement insert = connection.prepareStatement(INSERT, Statement.RETURN_GENERATED_KEYS);
            insert.setString(1, r.getNode());
            insert.setString(2, r.getProtocol());
            insert.setString(3, r.getSessionId());
            insert.setString(4, r.getAccount());
            insert.setString(5, r.getPath());
            insert.setString(6, r.getDirection().name());
            insert.setLong(7, r.getStartOffset());
            insert.setLong(8, r.getBytes());
            insert.setString(9, r.getSha256());
            insert.setObject(10, LocalDateTime.ofInstant(r.getStartedAt(), ZoneOffset.UTC));
            insert.setObject(11, LocalDateTime.ofInstant(r.getEndedAt(), ZoneOffset.UTC));
            insert.setString(12, r.getOutcome().name());
            insert.setString(13, r.getError());
            insert.setString(14, r.getClientAddress());
            insert.setString(15, r.getTls());
            insert.setString(16, r.getEdge());
            insert.setObject(17, r.getDerivedFrom());
            return insert;
        }, key);
        r.written(key.getKey().longValue());
        return r;
    }

    @Transactional(readOnly = true)
    public Page<TransferRecord> search(TransferQuery query, Pageable pageable) {
        Specification<TransferRecord> spec = (root, q, cb) -> {
            List<Predicate> where = new ArrayList<>();
            if (query.account() != null) {
                where.add(cb.equal(root.get("account"), query.account()));
            }
            if (query.outcome() != null) {
                where.add(cb.equal(root.get("outcome"), query.outcome()));
            }
            if (query.from() != null) {
                where.add(cb.greaterThanOrEqualTo(root.get("startedAt"), query.from()));
            }
            if (query.to() != null) {
                where.add(cb.lessThan(root.get("startedAt"), query.to()));
            }
            if (query.partner() != null) {
                // a delivery's or pull's row names its partner where a partner's own session has its address
                where.add(cb.equal(root.get("clientAddress"), query.partner()));
                where.add(root.get("direction").in(Direction.OUTBOUND, Direction.INBOUND));
            }
            if (query.protocol() != null) {
                where.add(cb.equal(root.get("protocol"), query.protocol()));
            }
            if (query.node() != null) {
                where.add(cb.equal(root.get("node"), query.node()));
            }
            return cb.and(where.toArray(Predicate[]::new));
        };
        return records.findAll(spec, pageable);
    }

    /** One row of the log. */
    @Transactional(readOnly = true)
    public Optional<TransferRecord> find(long id) {
        return records.findById(id);
    }

    /** Transfers and bytes per interval of {@code bucket}, from {@code from} to now, oldest first. */
    public record Activity(Instant start, long transfers, long failed, long bytes) {
    }

    @Transactional(readOnly = true)
    public List<Activity> activity(Instant from, Duration bucket) {
        long width = bucket.toMillis();
        int count = (int) Math.max(1, (Instant.now().toEpochMilli() - from.toEpochMilli() + width - 1) / width);
        long[][] sums = new long[count][3];
        for (Object[] row : records.startedSince(from)) {
            int i = (int) Math.min(count - 1, (((Instant) row[0]).toEpochMilli() - from.toEpochMilli()) / width);
            sums[i][0]++;
            sums[i][1] += row[2] == Outcome.FAILED ? 1 : 0;
            sums[i][2] += (Long) row[1];
        }
        List<Activity> activity = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            activity.add(new Activity(from.plusMillis(i * width), sums[i][0], sums[i][1], sums[i][2]));
        }
        return activity;
    }
}
