package io.ferry.transfer.account;

import java.util.List;

import org.springframework.data.jpa.repository.JpaRepository;

interface AccountKeyRepository extends JpaRepository<AccountKey, Long> {

    List<AccountKey> findByAccountIdOrderById(Long accountId);

    boolean existsByAccountIdAndFingerprint(Long accountId, String fingerprint);

    void deleteByAccountId(Long accountId);
}
