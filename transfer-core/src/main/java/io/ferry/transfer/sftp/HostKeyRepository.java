package io.ferry.transfer.sftp;

import java.util.Optional;

import org.springframework.data.jpa.repository.JpaRepository;

interface HostKeyRepository extends JpaRepository<HostKey, Long> {

    Optional<HostKey> findByAlgorithm(String algorithm);
}
