package io.ferry.transfer.sftp;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An SSH host key pair, sealed with the master key, shared by every node so partners see one identity. */
@Entity
@Table(name = "host_keys")
class HostKey {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 64, updatable = false)
    private String algorithm;

    @Column(name = "master_key_id", nullable = false, length = 32)
    private String masterKeyId;

    @Column(name = "sealed_key", nullable = false, length = 8000)
    private String sealedKey;

    @Column(nullable = false, length = 128)
    private String fingerprint;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    protected HostKey() {
    }

    HostKey(String algorithm, String masterKeyId, String sealedKey, String fingerprint) {
        this.algorithm = algorithm;
        this.masterKeyId = masterKeyId;
        this.sealedKey = sealedKey;
        this.fingerprint = fingerprint;
        this.createdAt = Instant.now();
    }

    String getAlgorithm() {
        return algorithm;
    }

    String getMasterKeyId() {
        return masterKeyId;
    }

    String getSealedKey() {
        return sealedKey;
    }

    String getFingerprint() {
        return fingerprint;
    }
}
