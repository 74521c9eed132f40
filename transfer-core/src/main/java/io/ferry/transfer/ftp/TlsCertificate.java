package io.ferry.transfer.ftp;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A TLS key and certificate chain (PKCS#12) sealed with the master key, shared by every node. */
@Entity
@Table(name = "tls_certificates")
class TlsCertificate {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 64, updatable = false)
    private String name;

    @Column(name = "master_key_id", nullable = false, length = 32)
    private String masterKeyId;

    @Column(name = "sealed_pkcs12", nullable = false, length = 8000)
    private String sealedPkcs12;

    @Column(nullable = false, length = 128)
    private String fingerprint;

    @Column(name = "not_after", nullable = false)
    private Instant notAfter;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    protected TlsCertificate() {
    }

    TlsCertificate(String name, String masterKeyId, String sealedPkcs12, String fingerprint, Instant notAfter) {
        this.name = name;
        this.masterKeyId = masterKeyId;
        this.sealedPkcs12 = sealedPkcs12;
        this.fingerprint = fingerprint;
        this.notAfter = notAfter;
        this.createdAt = Instant.now();
    }

    String getName() {
        return name;
    }

    String getMasterKeyId() {
        return masterKeyId;
    }

    String getSealedPkcs12() {
        return sealedPkcs12;
    }

    String getFingerprint() {
        return fingerprint;
    }
}
