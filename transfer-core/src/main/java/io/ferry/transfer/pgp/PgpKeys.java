package io.ferry.transfer.pgp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.bouncycastle.openpgp.PGPKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Service;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * OpenPGP keys: partners' public keys (to encrypt to and to verify with) and Ferry's own key pairs (to sign and to
 * decrypt), imported as armored text. A key pair is opened with the passphrase it comes with once, at import, and
 * kept without it, sealed with the {@link MasterKey} for its row (name and fingerprint): the database alone opens
 * nothing, and no node needs a passphrase at run time.
 */
@Service
public class PgpKeys {

    /** A key as the API and the console show it (never its secret part). */
    public record Key(String name, String partner, String kind, String fingerprint, List<String> userIds,
            String algorithm, Instant createdAt, Instant expiresAt, boolean canEncrypt, boolean canSign,
            Instant importedAt, String publicKey) {
    }

    /**
     * What an administrator imports: the armored text of one public key ({@code gpg --armor --export}), or of one key
     * pair ({@code gpg --armor --export-secret-keys}) with its {@code passphrase}; {@code partner} says whose key it is
     * (empty for Ferry's own).
     */
    public record KeyRequest(String name, String partner, String armored, String passphrase) {
        @Override
        public String toString() { // never the key pair or its passphrase in a log
            return "KeyRequest[name=" + name + ", partner=" + partner + "]";
        }
    }

    /** How long before a key expires it is reported (event, console, the expiry metric's alert rule). */
    public static final Duration WARN_BEFORE = Duration.ofDays(30);
    /** The largest key text accepted (a key with many user ids and signatures is a few KiB; the columns hold 64). */
    static final int MAX_ARMORED = 32 * 1024;
    /** How many times its message's size a decrypted file may be. */
    static final long MAX_EXPANSION = 100;
    private static final long MIN_FILE_LIMIT = 64L << 20;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String COLUMNS = "name, partner, kind, fingerprint, user_ids, algorithm, key_created_at, "
            + "expires_at, public_key, imported_at";
    private final RowMapper<Key> row = (rs, i) -> key(rs.getString(1), rs.getString(2), rs.getString(3),
            rs.getString(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7), rs.getTimestamp(8),
            rs.getString(9), rs.getTimestamp(10));

    private final JdbcTemplate jdbc;
    private final MasterKey masterKey;
    private final Clock clock;
    private volatile long expiringCount;
    private volatile long expiringCheckedAt = Long.MIN_VALUE / 2;

    PgpKeys(JdbcTemplate jdbc, MasterKey masterKey) {
        this.jdbc = jdbc;
        this.masterKey = masterKey;
        this.clock = Clock.systemUTC();
    }

    public Key create(KeyRequest r) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        String partner = r.partner() == null || r.partner().isBlank() ? null : r.partner();
        if (partner != null) {
            Integer found = jdbc.queryForObject("SELECT COUNT(*) FROM partners WHERE name = ?", Integer.class, partner);
            if (found == null || found == 0) {
                throw new AccountNotFoundException("partner '" + partner + "' not found");
            }
        }
        if (r.armored() == null || r.armored().isBlank()) {
            throw new IllegalArgumentException("armored is required: the key's armored text");
        }
        if (r.armored().length() > MAX_ARMORED) {
            throw new IllegalArgumentException("the key's text is longer than " + MAX_ARMORED / 1024 + " KiB");
        }
        PGPKeyRing ring = OpenPgp.readRing(r.armored().getBytes(StandardCharsets.UTF_8));
        String sealed = null;
        if (ring instanceof PGPSecretKeyRing secret) {
            ring = OpenPgp.withoutPassphrase(secret, r.passphrase());
        } else if (r.passphrase() != null && !r.passphrase().isEmpty()) {
            throw new IllegalArgumentException("a passphrase goes with a key pair; this is a public key");
        }
        Instant now = clock.instant();
        OpenPgp.Description d = OpenPgp.describe(ring, now);
        if (d.revoked()) {
            throw new IllegalArgumentException("the key " + d.fingerprint() + " is revoked");
        }
        String kind = ring instanceof PGPSecretKeyRing ? "secret" : "public";
        if (ring instanceof PGPSecretKeyRing secret) {
            try {
                sealed = masterKey.sealText(secret.getEncoded(), Column.PGP_SECRET_KEY.at(Map.of("name", r.name(),
                        "fingerprint", d.fingerprint())));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        String userIds = String.join("\n", d.userIds());
        try {
            jdbc.update("INSERT INTO pgp_keys (name, partner, kind, fingerprint, user_ids, algorithm, key_created_at, "
                    + "expires_at, public_key, master_key_id, sealed_secret, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                    + "?, ?, ?, ?, ?)", r.name(), partner, kind, d.fingerprint(),
                    userIds.length() > 1000 ? userIds.substring(0, 1000) : userIds, d.algorithm(),
                    Timestamp.from(d.created()), d.expires() == null ? null : Timestamp.from(d.expires()),
                    OpenPgp.armoredPublic(ring), sealed == null ? null : masterKey.id(), sealed, Timestamp.from(now));
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("an OpenPGP key named '" + r.name() + "' already exists");
        }
        return get(r.name());
    }

    public List<Key> list() {
        return jdbc.query("SELECT " + COLUMNS + " FROM pgp_keys ORDER BY name", row);
    }

    public Key get(String name) {
        List<Key> found = jdbc.query("SELECT " + COLUMNS + " FROM pgp_keys WHERE name = ?", row, name);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("OpenPGP key '" + name + "' not found");
        }
        return found.get(0);
    }

    /** Removes a key no route names (409 while one does: change the route first). */
    public void delete(String name) {
        get(name);
        for (Map<String, Object> route : jdbc.queryForList("SELECT name, pgp FROM routes WHERE pgp IS NOT NULL")) {
            PgpStep step = PgpStep.parse((String) route.get("pgp"));
            if (step != null && Arrays.asList(step.encryptTo(), step.signWith(), step.verifyWith()).contains(name)) {
                throw new AccountConflictException("route '" + route.get("name") + "' uses the OpenPGP key '" + name
                        + "'");
            }
        }
        if (get(name).kind().equals("secret") && secretRings().size() == 1) {
            for (String pgp : jdbc.queryForList("SELECT pgp FROM routes WHERE pgp IS NOT NULL", String.class)) {
                if (PgpStep.parse(pgp).decrypts()) {
                    throw new AccountConflictException("'" + name + "' is Ferry's last key pair and routes decrypt "
                            + "with it: import another first, or change the routes");
                }
            }
        }
        jdbc.update("DELETE FROM pgp_keys WHERE name = ?", name);
    }

    /** Keys that expire before {@code now + within} and have not expired more than that ago: the ones to warn of. */
    public List<Key> expiring(Duration within) {
        Instant now = clock.instant();
        return list().stream().filter(k -> k.expiresAt() != null && k.expiresAt().isBefore(now.plus(within))
                && k.expiresAt().isAfter(now.minus(within))).toList();
    }

    /** How many keys {@link #expiring} reports now (read at most once a minute: a metric's scrapes cost no query). */
    public long expiringCount() {
        long now = clock.millis();
        if (now - expiringCheckedAt > 60_000) {
            expiringCount = expiring(WARN_BEFORE).size();
            expiringCheckedAt = now;
        }
        return expiringCount;
    }

    /**
     * Checks what a route's step names: a key to encrypt to that can encrypt now, one of Ferry's key pairs that can
     * sign, a key to verify with; decrypting needs at least one of Ferry's key pairs.
     */
    public void check(PgpStep step) {
        if (step.encryptTo() != null && !get(step.encryptTo()).canEncrypt()) {
            throw new IllegalArgumentException("the OpenPGP key '" + step.encryptTo()
                    + "' has no valid encryption key");
        }
        if (step.signWith() != null) {
            Key key = get(step.signWith());
            if (!key.kind().equals("secret") || !key.canSign()) {
                throw new IllegalArgumentException("signWith names one of Ferry's key pairs that can sign; '"
                        + step.signWith() + "' is not");
            }
        }
        if (step.verifyWith() != null) {
            get(step.verifyWith());
        }
        if (step.decrypts() && secretRings().isEmpty()) {
            throw new IllegalArgumentException("decrypting needs one of Ferry's own key pairs: import one first");
        }
    }

    /**
     * A stream that encrypts (and signs) what is written to it as the step says, into {@code sink}; closing it ends
     * the message.
     */
    public OutputStream encrypt(OutputStream sink, PgpStep step, String fileName) throws IOException {
        return OpenPgp.encrypt(sink, publicRing(step.encryptTo()), step.signWith() == null ? null
                : secretRing(step.signWith()), fileName, clock.instant());
    }

    /**
     * The file inside the message {@code in} ({@code size} bytes), decrypted with Ferry's key pairs; its end throws
     * {@link PgpRejected} when the message is altered or, if the step requires one, not validly signed by the step's
     * key. The file may be at most {@value #MAX_EXPANSION} times the message's size (at least 64 MiB): compression
     * cannot make a small upload fill the storage.
     */
    public InputStream decrypt(InputStream in, long size, PgpStep step) throws IOException {
        return OpenPgp.decrypt(in, secretRings(), step.verifyWith() == null ? null : publicRing(step.verifyWith()),
                Math.max(MIN_FILE_LIMIT, size > Long.MAX_VALUE / MAX_EXPANSION ? Long.MAX_VALUE
                        : size * MAX_EXPANSION), clock.instant());
    }

    private PGPKeyRing publicRing(String name) throws IOException {
        List<String> found = jdbc.queryForList("SELECT public_key FROM pgp_keys WHERE name = ?", String.class, name);
        if (found.isEmpty()) { // the route's fault, not the file's: retried, never quarantined
            throw new IOException("the OpenPGP key '" + name + "' the route names is gone");
        }
        return OpenPgp.readRing(found.get(0).getBytes(StandardCharsets.US_ASCII));
    }

    private PGPSecretKeyRing secretRing(String name) throws IOException {
        List<PGPSecretKeyRing> found = secretRings("AND name = ?", name);
        if (found.isEmpty()) {
            throw new IOException("Ferry's OpenPGP key pair '" + name + "' the route names is gone");
        }
        return found.get(0);
    }

    private List<PGPSecretKeyRing> secretRings() {
        return secretRings("");
    }

    private List<PGPSecretKeyRing> secretRings(String where, Object... args) {
        List<PGPSecretKeyRing> rings = new ArrayList<>();
        for (Map<String, Object> r : jdbc.queryForList("SELECT name, fingerprint, sealed_secret FROM pgp_keys WHERE "
                + "kind = 'secret' " + where, args)) {
            byte[] encoded = masterKey.openText((String) r.get("sealed_secret"), Column.PGP_SECRET_KEY.at(r));
            rings.add((PGPSecretKeyRing) OpenPgp.readRing(encoded));
        }
        return rings;
    }

    private Key key(String name, String partner, String kind, String fingerprint, String userIds, String algorithm,
            Timestamp created, Timestamp expires, String publicKey, Timestamp imported) {
        PGPKeyRing ring = OpenPgp.readRing(publicKey.getBytes(StandardCharsets.US_ASCII));
        Instant now = clock.instant();
        boolean canSign = kind.equals("secret") && OpenPgp.canSign(ring, now);
        return new Key(name, partner, kind, fingerprint, userIds.isEmpty() ? List.of() : List.of(userIds.split("\n")),
                algorithm, created.toInstant(), expires == null ? null : expires.toInstant(),
                OpenPgp.encryptionKey(ring, now).isPresent(), canSign, imported.toInstant(), publicKey);
    }
}
