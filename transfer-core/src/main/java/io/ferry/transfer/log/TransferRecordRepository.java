package io.ferry.transfer.log;

import java.time.Instant;
import java.util.List;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

interface TransferRecordRepository extends JpaRepository<TransferRecord, Long>,
        JpaSpecificationExecutor<TransferRecord> {

    /** Start, bytes and outcome of the transfers that started at or after {@code from} (the dashboard's chart). */
    @Query("SELECT r.startedAt, r.bytes, r.outcome FROM TransferRecord r WHERE r.startedAt >= :from")
    List<Object[]> startedSince(@Param("from") Instant from);
}
