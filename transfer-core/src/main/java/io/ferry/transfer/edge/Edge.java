package io.ferry.transfer.edge;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** An edge gateway the cluster trusts: its name and the SHA-256 of its secret. */
@Entity
@Table(name = "edges")
public class Edge {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 64, updatable = false)
    private String name;

    @Column(name = "secret_hash", nullable = false, length = 64)
    private String secretHash;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    @Column(name = "revoked_at")
    private Instant revokedAt;

    protected Edge() {
    }

    Edge(String name, String secretHash) {
        this.name = name;
        this.secretHash = secretHash;
        this.createdAt = Instant.now();
    }

    /** A new secret for an edge that was revoked: registered again, from now. */
    void renew(String newSecretHash) {
        this.secretHash = newSecretHash;
        this.createdAt = Instant.now();
        this.revokedAt = null;
    }

    void revoke() {
        this.revokedAt = Instant.now();
    }

    public String getName() {
        return name;
    }

    String getSecretHash() {
        return secretHash;
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getRevokedAt() {
        return revokedAt;
    }

    public boolean isRevoked() {
        return revokedAt != null;
    }
}
