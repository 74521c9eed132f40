package io.ferry.transfer.partner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.dao.EmptyResultDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.log.TransferTracker;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * Partners: created, changed and checked through the API; their secrets sealed with the {@link MasterKey}, so every
 * node can use them and the database alone reveals none. Deliveries send to them, pulls fetch from them, over SFTP
 * (the server's host key pinned) or FTPS (its certificate pinned, or trusted through the administrator's CAs or the
 * JVM's); that work in the partner's folder is {@link PartnerFolders}'s, over its pooled connections.
 */
@Service
public class PartnerService {

    /** What an administrator gives; null fields of a change are left as they are. */
    public record PartnerRequest(String name, String protocol, String host, Integer port, String username,
            String password, String privateKey, String hostKey, String remoteDir, Integer connectTimeoutSeconds,
            Integer transferTimeoutSeconds, Integer maxParallel, String ftpsMode, String certificateFingerprint,
            String trustedCertificates) {
    }

    /**
     * A connection check: whether it worked, the host key (SFTP) or certificate fingerprint (FTPS) the server
     * presented, and what the remote folder holds.
     */
    public record Check(boolean ok, String presentedHostKey, String presentedCertificate, String error,
            List<String> entries) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern FINGERPRINT = Pattern.compile("SHA256:[A-Za-z0-9+/]{43}");
    private static final Pattern CERT_FINGERPRINT = Pattern.compile("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    private static final String COLUMNS = "name, protocol, host, port, username, sealed_password IS NOT NULL, "
            + "sealed_private_key IS NOT NULL, host_key, remote_dir, connect_timeout_seconds, "
            + "transfer_timeout_seconds, max_parallel, created_at, updated_at, ftps_mode, tls_pin, "
            + "tls_trusted IS NOT NULL";

    private final JdbcTemplate jdbc;
    private final MasterKey masterKey;
    private final PartnerFolders folders;
    private final Cache<String, Partner> recent = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(1))
            .maximumSize(10_000).build();

    PartnerService(JdbcTemplate jdbc, MasterKey masterKey) {
        this.jdbc = jdbc;
        this.masterKey = masterKey;
        this.folders = new PartnerFolders(this);
    }

    @Transactional
    public Partner create(PartnerRequest r) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-', starting with a "
                    + "letter or digit");
        }
        String protocol = r.protocol() == null ? "sftp" : r.protocol();
        require(r.host(), "host");
        require(r.username(), "username");
        String ftpsMode = null;
        String pin = null;
        int defaultPort = 22;
        if (protocol.equals("sftp")) {
            if (r.password() == null && r.privateKey() == null) {
                throw new IllegalArgumentException("give a password or a privateKey (OpenSSH or PEM format)");
            }
            checkHostKey(r.hostKey());
            checkPrivateKey(r.privateKey());
            refuseFtpsFields(r);
        } else if (protocol.equals("ftps")) {
            if (r.password() == null) {
                throw new IllegalArgumentException("an FTPS partner needs a password");
            }
            if (r.privateKey() != null || r.hostKey() != null) {
                throw new IllegalArgumentException("privateKey and hostKey are for SFTP partners; an FTPS partner's "
                        + "server is checked by certificateFingerprint or trustedCertificates");
            }
            ftpsMode = ftpsMode(r.ftpsMode());
            defaultPort = ftpsMode.equals("implicit") ? 990 : 21;
            pin = pin(r.certificateFingerprint());
            Certificates.trustManager(r.trustedCertificates()); // refused here when it holds no certificate
        } else {
            throw new IllegalArgumentException("protocol must be sftp or ftps");
        }
        Timestamp now = Timestamp.from(Instant.now());
        try {
            jdbc.update("INSERT INTO partners (name, protocol, host, port, username, master_key_id, sealed_password, "
                    + "sealed_private_key, host_key, remote_dir, connect_timeout_seconds, transfer_timeout_seconds, "
                    + "max_parallel, created_at, updated_at, ftps_mode, tls_pin, tls_trusted) VALUES (?, ?, ?, ?, ?, "
                    + "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    r.name(), protocol, r.host(), port(r.port(), defaultPort), r.username(), masterKey.id(),
                    null, null, r.hostKey() == null ? "" : r.hostKey(),
                    r.remoteDir() == null ? "/" : r.remoteDir(),
                    positive(r.connectTimeoutSeconds(), 30, "connectTimeoutSeconds"),
                    positive(r.transferTimeoutSeconds(), 600, "transferTimeoutSeconds"),
                    positive(r.maxParallel(), 4, "maxParallel"), now, now, ftpsMode, pin, r.trustedCertificates());
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("partner '" + r.name() + "' already exists");
        }
        // sealed for the row as stored: its name and where the secrets are sent
        seal(r.name(), Optional.ofNullable(r.password()), Optional.ofNullable(r.privateKey()));
        return get(r.name());
    }

    @Transactional
    public Partner update(String name, PartnerRequest r) {
        Partner partner = get(name);
        // the secrets as they open for the destination the row has now: sealed again below for the one it will have
        Map<String, Object> before = row(partner.name());
        Optional<String> password = Optional.ofNullable(r.password()).or(() -> openOne(before,
                Column.PARTNER_PASSWORD));
        Optional<String> privateKey = Optional.ofNullable(r.privateKey()).or(() -> openOne(before,
                Column.PARTNER_PRIVATE_KEY));
        if (r.protocol() != null && !r.protocol().equals(partner.protocol())) {
            throw new IllegalArgumentException("a partner's protocol cannot change; create another partner");
        }
        List<String> sets = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        if (partner.protocol().equals("sftp")) {
            if (r.hostKey() != null) {
                checkHostKey(r.hostKey());
            }
            checkPrivateKey(r.privateKey());
            refuseFtpsFields(r);
            set(sets, args, "host_key", r.hostKey());
        } else {
            if (r.privateKey() != null || r.hostKey() != null) {
                throw new IllegalArgumentException("privateKey and hostKey are for SFTP partners");
            }
            set(sets, args, "ftps_mode", r.ftpsMode() == null ? null : ftpsMode(r.ftpsMode()));
            if (r.certificateFingerprint() != null) {
                // "" removes the pin (the trusted certificates or the JVM's CAs decide then)
                sets.add("tls_pin = ?");
                args.add(r.certificateFingerprint().isBlank() ? null : pin(r.certificateFingerprint()));
            }
            if (r.trustedCertificates() != null) {
                Certificates.trustManager(r.trustedCertificates().isBlank() ? null : r.trustedCertificates());
                sets.add("tls_trusted = ?");
                args.add(r.trustedCertificates().isBlank() ? null : r.trustedCertificates());
            }
        }
        set(sets, args, "host", r.host());
        set(sets, args, "port", r.port() == null ? null : port(r.port(), 22));
        set(sets, args, "username", r.username());
        set(sets, args, "remote_dir", r.remoteDir());
        set(sets, args, "connect_timeout_seconds", r.connectTimeoutSeconds() == null ? null
                : positive(r.connectTimeoutSeconds(), 30, "connectTimeoutSeconds"));
        set(sets, args, "transfer_timeout_seconds", r.transferTimeoutSeconds() == null ? null
                : positive(r.transferTimeoutSeconds(), 600, "transferTimeoutSeconds"));
        set(sets, args, "max_parallel", r.maxParallel() == null ? null : positive(r.maxParallel(), 4, "maxParallel"));
        set(sets, args, "updated_at", Timestamp.from(Instant.now()));
        args.add(name);
        jdbc.update("UPDATE partners SET " + String.join(", ", sets) + " WHERE name = ?", args.toArray());
        seal(partner.name(), password, privateKey);
        return get(name);
    }

    public void delete(String name) {
        if (jdbc.update("DELETE FROM partners WHERE name = ?", name) == 0) {
            throw new AccountNotFoundException("partner '" + name + "' not found");
        }
    }

    /** A partner's secrets and CA certificates in the clear, for a configuration export (null where none). */
    public record PartnerSecrets(String password, String privateKey, String trustedCertificates) {
    }

    public PartnerSecrets secrets(String name) {
        return openSecrets(get(name).name());
    }

    /**
     * The secrets of partner {@code name} (as its row names it), opened; each opens only in its own row and for the
     * destination it was sealed for.
     */
    PartnerSecrets openSecrets(String name) {
        Map<String, Object> row = row(name);
        return new PartnerSecrets(open(row.get("sealed_password"), Column.PARTNER_PASSWORD.at(row)),
                open(row.get("sealed_private_key"), Column.PARTNER_PRIVATE_KEY.at(row)),
                (String) row.get("tls_trusted"));
    }

    /** The partner's row: its sealed secrets and what they are bound to. */
    private Map<String, Object> row(String name) {
        return jdbc.queryForMap("SELECT name, sealed_password, sealed_private_key, "
                + String.join(", ", Column.PARTNER_PASSWORD.bound()) + " FROM partners WHERE name = ?", name);
    }

    /**
     * One secret of the partner as it opens now: empty when there is none, or when it does not open (then it is
     * left as stored, unusable as before, until an administrator gives it again).
     */
    private Optional<String> openOne(Map<String, Object> row, Column column) {
        try {
            return Optional.ofNullable(open(row.get(column.column()), column.at(row)));
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
    }

    /**
     * Seals the given secrets for the partner's row as it is stored now (name and destination); a secret not given
     * is left as stored.
     */
    private void seal(String name, Optional<String> password, Optional<String> privateKey) {
        if (password.isEmpty() && privateKey.isEmpty()) {
            return;
        }
        Map<String, Object> row = row(name);
        List<String> sets = new ArrayList<>();
        List<Object> args = new ArrayList<>();
        password.ifPresent(p -> set(sets, args, "sealed_password", masterKey.sealText(
                p.getBytes(StandardCharsets.UTF_8), Column.PARTNER_PASSWORD.at(row))));
        privateKey.ifPresent(k -> set(sets, args, "sealed_private_key", masterKey.sealText(
                k.getBytes(StandardCharsets.UTF_8), Column.PARTNER_PRIVATE_KEY.at(row))));
        set(sets, args, "master_key_id", masterKey.id());
        args.add(name);
        jdbc.update("UPDATE partners SET " + String.join(", ", sets) + " WHERE name = ?", args.toArray());
    }

    public Partner get(String name) {
        try {
            return jdbc.queryForObject("SELECT " + COLUMNS + " FROM partners WHERE name = ?", PartnerService::row,
                    name);
        } catch (EmptyResultDataAccessException e) {
            throw new AccountNotFoundException("partner '" + name + "' not found");
        }
    }

    /**
     * The partner as deliveries and pulls use it: read at most once a second per partner (a busy queue asks for the
     * same partner for every item), so a change applies to transfers within a second.
     */
    private Partner current(String name) {
        return recent.get(name, this::get);
    }

    /** The partner's protocol ({@code sftp} or {@code ftps}), as transfers see it (read at most once a second). */
    public String protocol(String name) {
        return current(name).protocol();
    }

    public List<Partner> list() {
        return jdbc.query("SELECT " + COLUMNS + " FROM partners ORDER BY name", PartnerService::row);
    }

    /**
     * Connects to the partner as a delivery would: the host key must be the pinned one, or the certificate the
     * pinned or a trusted one (else nothing is sent, not even the credentials), then logs in and lists the remote
     * folder.
     */
    public Check check(String name) {
        return folders.check(get(name));
    }

    /**
     * Sends a file to the partner's folder exactly once: written under a temporary name, then renamed over any file
     * of that name. Only when {@code rerun} is true and the final name is already there with the same size (this
     * item's earlier run was interrupted after its rename, or a push re-offers an unchanged file) is nothing sent
     * again: a new upload of a name is always delivered, even when its size is that of the file it replaces.
     *
     * @param attempt names the temporary file ({@code .<name>.<attempt>.ferry-part}): two deliveries of one name at
     *                once never write into one temporary file
     * @param rerun   whether a file of the same size already there counts as this delivery done
     * @param tracker counts and hashes the bytes as they are sent (for the delivery's transfer-log row)
     * @return the bytes sent (0 when it was already there)
     * @throws IOException with the reason (a host key mismatch included) when it did not arrive
     */
    public long deliver(String partnerName, SeekableByteChannel source, String remoteName, String attempt,
            boolean rerun, TransferTracker tracker) throws IOException {
        return folders.deliver(current(partnerName), source, remoteName, attempt, rerun, tracker);
    }

    /** A file in the partner's folder, as its listing shows it ({@code mtime} in epoch milliseconds). */
    public record RemoteFile(String path, String name, long size, long mtime) {
    }

    /** What a pull does with the partner's files; the pull itself only lists, reads and removes them. */
    public interface PullHandler {

        /** Whether this file (path, size, mtime) was fetched before: it is not fetched again. */
        boolean alreadyFetched(RemoteFile file);

        /**
         * Stores the file from {@code content} and records it; throws when fewer or more bytes came than the
         * listing's size (the file changed, or the download broke), so that nothing half-fetched counts.
         */
        void fetch(RemoteFile file, InputStream content) throws IOException;
    }

    /** What one pull did. */
    public record PullResult(int fetched, int alreadyFetched, int removed) {
    }

    /**
     * Fetches the regular files of the partner's folder whose names match {@code glob} (hidden files, those
     * starting with '.', never: a sender's temporary names look like that), skipping those fetched before; with
     * {@code removeRemote}, each file fetched (now or before) is then removed from the partner.
     */
    public PullResult pull(String partnerName, String glob, boolean removeRemote, PullHandler handler)
            throws IOException {
        return folders.pull(current(partnerName), glob, removeRemote, handler);
    }

    private static Partner row(ResultSet rs, int i) throws SQLException {
        return new Partner(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
                rs.getBoolean(6), rs.getBoolean(7), rs.getString(8), rs.getString(9), rs.getInt(10), rs.getInt(11),
                rs.getInt(12), rs.getTimestamp(13).toInstant(), rs.getTimestamp(14).toInstant(), rs.getString(15),
                rs.getString(16), rs.getBoolean(17));
    }

    /** A secret {@link #seal} sealed for {@code place}, in the clear (null stays null). */
    private String open(Object sealed, SealedPlace place) {
        return sealed == null ? null
                : new String(masterKey.openText((String) sealed, place), StandardCharsets.UTF_8);
    }

    private static void checkPrivateKey(String privateKey) {
        if (privateKey != null) {
            PartnerFolders.keys(privateKey);
        }
    }

    private static void checkHostKey(String hostKey) {
        if (hostKey == null || !FINGERPRINT.matcher(hostKey).matches()) {
            throw new IllegalArgumentException("hostKey is required: the server's SHA256 fingerprint as ssh-keygen "
                    + "-lf prints it (SHA256: and 43 base64 characters); check it out of band, then pin it");
        }
    }

    private static void refuseFtpsFields(PartnerRequest r) {
        if (r.ftpsMode() != null || r.certificateFingerprint() != null || r.trustedCertificates() != null) {
            throw new IllegalArgumentException("ftpsMode, certificateFingerprint and trustedCertificates are for FTPS "
                    + "partners; an SFTP partner's server is checked by its pinned hostKey");
        }
    }

    private static String ftpsMode(String mode) {
        String m = mode == null ? "explicit" : mode;
        if (!m.equals("explicit") && !m.equals("implicit")) {
            throw new IllegalArgumentException("ftpsMode must be explicit (AUTH TLS, port 21) or implicit (port 990)");
        }
        return m;
    }

    /** A certificate's SHA-256 fingerprint as openssl prints it (colons optional, any case); stored upper-case. */
    private static String pin(String fingerprint) {
        if (fingerprint == null) {
            return null;
        }
        String hex = fingerprint.replaceFirst("(?i)^sha-?256( fingerprint)?[=:]?\\s*", "").replace(":", "")
                .trim().toUpperCase(Locale.ROOT);
        String pinned = hex.replaceAll("(..)(?!$)", "$1:");
        if (!CERT_FINGERPRINT.matcher(pinned).matches()) {
            throw new IllegalArgumentException("certificateFingerprint is the SHA-256 of the server's certificate "
                    + "as `openssl x509 -noout -fingerprint -sha256` prints it (32 hex bytes)");
        }
        return pinned;
    }

    private static void require(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + " is required");
        }
    }

    private static int port(Integer port, int fallback) {
        int p = port == null ? fallback : port;
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port must be 1-65535");
        }
        return p;
    }

    private static int positive(Integer value, int fallback, String field) {
        int v = value == null ? fallback : value;
        if (v < 1) {
            throw new IllegalArgumentException(field + " must be at least 1");
        }
        return v;
    }

    private static void set(List<String> sets, List<Object> args, String column, Object value) {
        if (value != null) {
            sets.add(column + " = ?");
            args.add(value);
        }
    }
}
