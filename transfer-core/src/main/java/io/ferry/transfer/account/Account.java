package io.ferry.transfer.account;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;

/** A trading partner's login: credentials, home directory and permissions. */
@Entity
@Table(name = "accounts")
public class Account {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 64, updatable = false)
    private String username;

    @Column(name = "password_hash")
    private String passwordHash;

    @Column(nullable = false, length = 512)
    private String home;

    @Convert(converter = PermissionsConverter.class)
    @Column(nullable = false)
    private Set<Permission> permissions = EnumSet.noneOf(Permission.class);

    @Column(nullable = false)
    private boolean enabled;

    @Column(name = "quota_bytes", nullable = false)
    private long quotaBytes;

    @Column(name = "quota_files", nullable = false)
    private long quotaFiles;

    @Column(name = "allowed_addresses", length = 2048)
    private String allowedAddresses;

    @Column(name = "denied_addresses", length = 2048)
    private String deniedAddresses;

    @Column(name = "created_at", nullable = false, updatable = false)
    private Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    private Instant updatedAt;

    @Version
    @Column(nullable = false)
    private long version;

    protected Account() {
    }

    Account(String username, String passwordHash, String home, Set<Permission> permissions, boolean enabled) {
        this.username = username;
        this.passwordHash = passwordHash;
        this.home = home;
        this.permissions = EnumSet.copyOf(permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : permissions);
        this.enabled = enabled;
        this.createdAt = Instant.now();
        this.updatedAt = createdAt;
    }

    public Long getId() {
        return id;
    }

    public String getUsername() {
        return username;
    }

    String getPasswordHash() {
        return passwordHash;
    }

    public boolean hasPassword() {
        return passwordHash != null;
    }

    public String getHome() {
        return home;
    }

    public Set<Permission> getPermissions() {
        return permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(permissions);
    }

    public boolean may(Permission permission) {
        return permissions.contains(permission);
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** Bytes the account may store; 0 is unlimited. */
    public long getQuotaBytes() {
        return quotaBytes;
    }

    /** Files the account may keep; 0 is unlimited. */
    public long getQuotaFiles() {
        return quotaFiles;
    }

    void setQuota(Long bytes, Long files) {
        if (bytes != null) {
            if (bytes < 0) {
                throw new IllegalArgumentException("quotaBytes must be 0 (unlimited) or more");
            }
            this.quotaBytes = bytes;
        }
        if (files != null) {
            if (files < 0) {
                throw new IllegalArgumentException("quotaFiles must be 0 (unlimited) or more");
            }
            this.quotaFiles = files;
        }
        touch();
    }

    public Instant getCreatedAt() {
        return createdAt;
    }

    public Instant getUpdatedAt() {
        return updatedAt;
    }

    void setPasswordHash(String passwordHash) {
        this.passwordHash = passwordHash;
        touch();
    }

    void setHome(String home) {
        this.home = home;
        touch();
    }

    void setPermissions(Set<Permission> permissions) {
        this.permissions = permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(permissions);
        touch();
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
        touch();
    }

    private void touch() {
        this.updatedAt = Instant.now();
    }

    /** Addresses and blocks logins may come from; empty: any (but the denied). */
    public java.util.List<String> getAllowedAddresses() {
        return split(allowedAddresses);
    }

    /** Addresses and blocks logins may never come from. */
    public java.util.List<String> getDeniedAddresses() {
        return split(deniedAddresses);
    }

    void setAddressRules(java.util.List<String> allowed, java.util.List<String> denied) {
        if (allowed != null) {
            this.allowedAddresses = allowed.isEmpty() ? null : String.join(",", allowed);
        }
        if (denied != null) {
            this.deniedAddresses = denied.isEmpty() ? null : String.join(",", denied);
        }
        this.updatedAt = Instant.now();
    }

    /** Whether a login from this client address is allowed by the account's address rules. */
    public boolean permits(String address) {
        if (AddressRules.matches(getDeniedAddresses(), address)) {
            return false;
        }
        java.util.List<String> allowed = getAllowedAddresses();
        return allowed.isEmpty() || AddressRules.matches(allowed, address);
    }

    private static java.util.List<String> split(String rules) {
        return rules == null || rules.isBlank() ? java.util.List.of() : java.util.List.of(rules.split(","));
    }

    /** Changes with every change to the account (its password, addresses, permissions, being enabled). */
    public long getVersion() {
        return version;
    }
}
