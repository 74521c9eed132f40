package io.ferry.transfer.log;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceContext;
import jakarta.persistence.criteria.Predicate;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.domain.Specification;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

import io.ferry.transfer.node.AfterCommit;

/**
 * The transfer log: every upload and download attempt of every protocol, one row each. A row is committed before
 * {@link #record(TransferRecord)} returns, so a protocol that acknowledges a transfer after this call never
 * acknowledges one the log could lose.
 */
@Service
public class TransferLog {

    private final TransferRecordRepository records;
    private final List<TransferListener> listeners = new CopyOnWriteArrayList<>();
    /**
     * Rows are inserted with the entity manager itself, not through the repository: one row per file moved, and the
     * repository's chain of proxies cost more CPU than the insert (issue 25).
     */
    @PersistenceContext
    private EntityManager entityManager;

    TransferLog(TransferRecordRepository records) {
        this.records = records;
    }

    /** Tells {@code listener} of arrivals (in their transaction) and of every committed row. */
    public void addListener(TransferListener listener) {
        listeners.add(listener);
    }

    /** Inserts and commits the row in its own transaction (with what the upload listeners add). */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public TransferRecord record(TransferRecord record) {
        return save(record);
    }

    /**
     * Inserts the row and runs {@code alsoInTransaction} in the same transaction: both commit, or neither (what a
     * pull or a folder monitor records about the file it took in, so that it is taken in once).
     */
    @Transactional(propagation = Propagation.REQUIRES_NEW)
    public TransferRecord record(TransferRecord record, java.util.function.Consumer<TransferRecord> alsoInTransaction) {
        TransferRecord saved = save(record);
        alsoInTransaction.accept(saved);
        return saved;
    }

    private TransferRecord save(TransferRecord record) {
        TransferRecord saved;
        if (record.getId() == null) {
            entityManager.persist(record);
            saved = record;
        } else if (records.existsById(record.getId())) {
            saved = records.save(record); // its commit went through after all: the same row, unchanged
        } else {
            // an insert whose commit failed keeps the id it was given: the row is written anew (merging it would
            // be refused, as a row that is gone)
            saved = record.unsaved();
            entityManager.persist(saved);
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
    public java.util.Optional<TransferRecord> find(long id) {
        return records.findById(id);
    }

    /** Transfers and bytes per interval of {@code bucket}, from {@code from} to now, oldest first. */
    public record Activity(Instant start, long transfers, long failed, long bytes) {
    }

    @Transactional(readOnly = true)
    public List<Activity> activity(Instant from, java.time.Duration bucket) {
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
