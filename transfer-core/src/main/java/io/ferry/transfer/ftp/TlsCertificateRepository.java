package io.ferry.transfer.ftp;

import java.util.Optional;

import org.springframework.data.jpa.repository.JpaRepository;

interface TlsCertificateRepository extends JpaRepository<TlsCertificate, Long> {

    Optional<TlsCertificate> findByName(String name);
}
