package io.ferry.app.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Service;

import io.ferry.common.LogText;

/**
 * API tokens: what scripts and Prometheus log in to the REST API and the actuator with, instead of an
 * administrator's password ({@code Authorization: Bearer <token>}). An administrator creates one with a scope
 * ({@code read}: the operator's rights; {@code full}: the administrator's) and an expiry; the token is shown once and
 * only its SHA-256 is kept, so checking one costs a hash and a lookup, no Argon2id. Revoking keeps the row.
 */
@Service
public class ApiTokens {

    private static final Logger log = LoggerFactory.getLogger(ApiTokens.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** What every token starts with, so that a leaked one is easy to recognise (and to scan for). */
    public static final String PREFIX = "ferry_";
    private static final int MAX_DAYS = 365;

    /** A token's scope: the role its requests have. */
    public enum Scope {
        READ(AdminRole.OPERATOR), FULL(AdminRole.ADMIN);

        private final AdminRole role;

        Scope(AdminRole role) {
            this.role = role;
        }

        public AdminRole role() {
            return role;
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Scope of(String text) {
            for (Scope scope : values()) {
                if (scope.label().equals(text)) {
                    return scope;
                }
            }
            throw new IllegalArgumentException("scope must be read or full, not " + LogText.quoted(text));
        }
    }

    /** A token as it is listed: never its secret. */
    public record Token(long id, String name, String scope, String createdBy, Instant createdAt, Instant expiresAt,
            Instant revokedAt) {

        public boolean active(Instant now) {
            return revokedAt == null && expiresAt.isAfter(now);
        }
    }

    /** A new token and, this once, its secret. */
    public record Created(Token token, String secret) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    ApiTokens(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        this.clock = Clock.systemUTC();
    }

    /** Creates a token valid for {@code days} (1-365); the secret is in the answer and nowhere else. */
    public Created create(String name, String scope, int days, String createdBy) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "a token name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException("days must be 1-" + MAX_DAYS);
        }
        Scope parsed = Scope.of(scope);
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Instant now = clock.instant();
        Instant expires = now.plus(Duration.ofDays(days));
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            var insert = connection.prepareStatement("INSERT INTO api_tokens (name, token_hash, scope, created_by, "
                    + "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)", new String[] {"id"});
            insert.setString(1, name);
            insert.setString(2, hash(secret));
            insert.setString(3, parsed.label());
            insert.setString(4, createdBy);
            insert.setTimestamp(5, Timestamp.from(now));
            insert.setTimestamp(6, Timestamp.from(expires));
            return insert;
        }, key);
        long id = key.getKey().longValue();
        log.info("API token {} ({}) created by {}, valid until {}", LogText.quoted(name), parsed.label(),
                LogText.quoted(createdBy), expires);
        return new Created(new Token(id, name, parsed.label(), createdBy, now, expires, null), secret);
    }

    /** Every token, newest first. */
    public List<Token> list() {
        return jdbc.query("SELECT id, name, scope, created_by, created_at, expires_at, revoked_at FROM api_tokens "
                + "ORDER BY id DESC", (rs, i) -> new Token(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getTimestamp(5).toInstant(), rs.getTimestamp(6).toInstant(),
                        rs.getTimestamp(7) == null ? null : rs.getTimestamp(7).toInstant()));
    }

    /** Revokes a token; false when there is no such token or it is revoked already. */
    public boolean revoke(long id, String by) {
        boolean revoked = jdbc.update("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                Timestamp.from(clock.instant()), id) == 1;
        if (revoked) {
            log.info("API token {} revoked by {}", id, LogText.quoted(by));
        }
        return revoked;
    }

    /** The active token a request presents, if any: not revoked, not expired. */
    public Optional<Token> authenticate(String secret) {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        Instant now = clock.instant();
        return jdbc.query("SELECT id, name, scope, created_by, created_at, expires_at, revoked_at FROM api_tokens "
                + "WHERE token_hash = ?", (rs, i) -> new Token(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getTimestamp(5).toInstant(), rs.getTimestamp(6).toInstant(),
                        rs.getTimestamp(7) == null ? null : rs.getTimestamp(7).toInstant()), hash(secret))
                .stream().filter(token -> token.active(now)).findFirst();
    }

    /** The role a token's requests have. */
    public static AdminRole role(Token token) {
        return Scope.of(token.scope()).role();
    }

    private static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
