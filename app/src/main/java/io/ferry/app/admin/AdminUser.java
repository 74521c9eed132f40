package io.ferry.app.admin;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A person who administers Ferry through the web console and the REST API. */
@Entity
@Table(name = "admin_users")
class AdminUser {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 64, updatable = false)
    private String username;

    @Column(name = "password_hash", nullable = false)
    private String passwordHash;

    @Column(nullable = false, length = 32)
    private String role;

    @Column(nullable = false)
    private boolean enabled;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    /** The TOTP secret sealed with the master key (base64); null when the second factor is off. */
    @Column(name = "totp_secret")
    private String totpSecret;

    /** The last RFC 6238 time step a code was accepted for. */
    @Column(name = "totp_last_step")
    private Long totpLastStep;

    protected AdminUser() {
    }

    AdminUser(String username, String passwordHash, String role) {
        this.username = username;
        this.passwordHash = passwordHash;
        this.role = role;
        this.enabled = true;
        this.createdAt = Instant.now();
    }

    Long getId() {
        return id;
    }

    Instant getCreatedAt() {
        return createdAt;
    }

    void setPasswordHash(String passwordHash) {
        this.passwordHash = passwordHash;
    }

    void setRole(String role) {
        this.role = role;
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    String getUsername() {
        return username;
    }

    String getPasswordHash() {
        return passwordHash;
    }

    String getRole() {
        return role;
    }

    boolean isEnabled() {
        return enabled;
    }

    String getTotpSecret() {
        return totpSecret;
    }

    void setTotp(String sealedSecret) {
        this.totpSecret = sealedSecret;
        this.totpLastStep = null;
    }

    long getTotpLastStep() {
        return totpLastStep == null ? -1 : totpLastStep;
    }

    void setTotpLastStep(long step) {
        this.totpLastStep = step;
    }
}
