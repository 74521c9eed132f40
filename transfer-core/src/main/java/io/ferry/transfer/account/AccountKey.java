package io.ferry.transfer.account;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One public key an account may log in with, kept as the OpenSSH {@code authorized_keys} line it was given. */
@Entity
@Table(name = "account_keys")
public class AccountKey {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(name = "account_id", nullable = false, updatable = false)
    private Long accountId;

    @Column(name = "key_type", nullable = false, length = 64)
    private String keyType;

    @Column(name = "public_key", nullable = false, length = 4096)
    private String publicKey;

    @Column(nullable = false, length = 128)
    private String fingerprint;

    @Column
    private String comment;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    protected AccountKey() {
    }

    AccountKey(Long accountId, String keyType, String publicKey, String fingerprint, String comment) {
        this.accountId = accountId;
        this.keyType = keyType;
        this.publicKey = publicKey;
        this.fingerprint = fingerprint;
        this.comment = comment;
        this.createdAt = Instant.now();
    }

    public Long getId() {
        return id;
    }

    public Long getAccountId() {
        return accountId;
    }

    public String getKeyType() {
        return keyType;
    }

    /** The key as {@code type base64}, without comment or options. */
    public String getPublicKey() {
        return publicKey;
    }

    /** {@code SHA256:...}, as {@code ssh-keygen -l} prints it. */
    public String getFingerprint() {
        return fingerprint;
    }

    public String getComment() {
        return comment;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }
}
