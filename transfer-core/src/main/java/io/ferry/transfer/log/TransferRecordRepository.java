package io.ferry.transfer.log;

import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.JpaSpecificationExecutor;

interface TransferRecordRepository extends JpaRepository<TransferRecord, Long>,
        JpaSpecificationExecutor<TransferRecord> {
}
