package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationVersion;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

import io.ferry.FerryApplication;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;
import io.ferry.transfer.sftp.SftpServer;
import tools.jackson.databind.JsonNode;

/**
 * Issue 18 item 10: sealed values were bound only to a version byte, so someone who can write the database could
 * swap them between rows. Release 2026-12-06 binds each to its table, column and row, and migration V19 re-seals the
 * values an older release left. Here a real database is brought to V18 and given values sealed the old way (by this
 * test, not by Ferry), then a node of this release starts on it with the same master key: every secret still works,
 * seen from outside (the host key by {@code ssh-keyscan}, the TOTP secret by a login, the partner password by a
 * connection), and each is stored in the bound format.
 */
class SealedValuesMigrationIT {

    private static final String ADMIN_PASSWORD = "keeper-password-1";
    private static final String PARTNER_PASSWORD = "landing-password-1";

    @Test
    void aNodeOfThisReleaseShouldReSealEveryOldSecretAndKeepUsingIt() throws Exception {
        byte[] raw = random(32);
        String masterKey = Base64.getEncoder().encodeToString(raw);
        TestDatabase.Server db = TestDatabase.fresh();
        JdbcTemplate jdbc = atVersion18(db);

        KeyPair hostKey = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        new OpenSSHKeyPairResourceWriter().writePrivateKey(hostKey, "ferry", null, encoded);
        String keyId = MasterKey.fromBase64(masterKey).id();
        Timestamp now = Timestamp.from(Instant.now());
        jdbc.update("INSERT INTO host_keys (algorithm, master_key_id, sealed_key, fingerprint, created_at) "
                + "VALUES (?, ?, ?, ?, ?)", KeyPairProvider.SSH_ED25519, keyId,
                oldSeal(raw, encoded.toByteArray()), KeyUtils.getFingerPrint(hostKey.getPublic()), now);
        byte[] storageKey = random(32);
        jdbc.update("INSERT INTO storage_keys (id, master_key_id, sealed_key, created_at) VALUES ('k1', ?, ?, ?)",
                keyId, oldSeal(raw, storageKey), now);
        String totp = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        jdbc.update("INSERT INTO admin_users (username, password_hash, role, enabled, created_at, totp_secret) "
                + "VALUES ('keeper', ?, 'ADMIN', TRUE, ?, ?)",
                "{bcrypt}" + new BCryptPasswordEncoder().encode(ADMIN_PASSWORD), now,
                oldSeal(raw, totp.getBytes(StandardCharsets.UTF_8)));
        insertPartner(jdbc, "migrated", keyId, oldSeal(raw, PARTNER_PASSWORD.getBytes(StandardCharsets.UTF_8)), now);
        // sealed by some other key: unusable before, left as it is, and no reason not to start
        String foreign = oldSeal(random(32), "x".getBytes(StandardCharsets.UTF_8));
        insertPartner(jdbc, "foreign", "0000000000000000", foreign, now);

        Path dataDir = Files.createTempDirectory("ferry-sealed-");
        try (ConfigurableApplicationContext node = start(db, masterKey, dataDir)) {
            int http = Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
            int sftp = node.getBean(SftpServer.class).port();

            // the host key an older release generated is the one the node presents
            Process scan = new ProcessBuilder("ssh-keyscan", "-t", "ed25519", "-p", String.valueOf(sftp), "127.0.0.1")
                    .redirectErrorStream(false).start();
            assertThat(scan.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String scanned = new String(scan.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(scanned).contains(PublicKeyEntry.toString(hostKey.getPublic()));

            // the administrator's second factor opens: the password and a current code log in
            long step = Instant.now().getEpochSecond() / 30;
            Api keeper = new Api(http, "keeper", ADMIN_PASSWORD + TotpIT.code(totp, step));
            Api.Response created = keeper.post("/api/v1/admin-users", "{\"username\":\"second\",\"password\":"
                    + "\"second-admin-password-1\",\"role\":\"ADMIN\"}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            Api admin = new Api(http, "second", "second-admin-password-1");

            // the partner's password opens: it logs in to an account of this node
            admin.createAccount("landing", PARTNER_PASSWORD);
            assertThat(admin.patch("/api/v1/partners/migrated", "{\"port\":" + sftp + "}").status()).isEqualTo(200);
            String presented = admin.post("/api/v1/partners/migrated/check", "").json().get("presentedHostKey")
                    .asString();
            assertThat(admin.patch("/api/v1/partners/migrated", "{\"hostKey\":\"" + presented + "\"}").status())
                    .isEqualTo(200);
            JsonNode check = admin.post("/api/v1/partners/migrated/check", "").json();
            assertThat(check.get("ok").asBoolean()).as(check.toString()).isTrue();

            // every value is stored bound to its place now, and opens there with the same plaintext
            MasterKey key = MasterKey.fromBase64(masterKey);
            assertThat(key.openText(value(jdbc, Column.STORAGE_KEY, "k1"), Column.STORAGE_KEY.at("k1")))
                    .isEqualTo(storageKey);
            assertThat(key.openText(value(jdbc, Column.HOST_KEY, KeyPairProvider.SSH_ED25519),
                    Column.HOST_KEY.at(KeyPairProvider.SSH_ED25519))).isEqualTo(encoded.toByteArray());
            assertThat(new String(key.openText(value(jdbc, Column.ADMIN_TOTP, "keeper"),
                    Column.ADMIN_TOTP.at("keeper")), StandardCharsets.UTF_8)).isEqualTo(totp);
            for (Column column : List.of(Column.HOST_KEY, Column.TLS_CERTIFICATE, Column.STORAGE_KEY,
                    Column.PARTNER_PASSWORD, Column.ADMIN_TOTP)) {
                for (String sealed : jdbc.queryForList("SELECT " + column.column() + " FROM " + column.table()
                        + " WHERE " + column.column() + " IS NOT NULL AND " + column.rowKey() + " <> 'foreign'",
                        String.class)) {
                    assertThat(MasterKey.bound(Base64.getDecoder().decode(sealed))).as(column.toString()).isTrue();
                }
            }
            assertThat(value(jdbc, Column.PARTNER_PASSWORD, "foreign")).isEqualTo(foreign);
            assertThat(jdbc.queryForObject("SELECT success FROM flyway_schema_history WHERE version = '19'",
                    Boolean.class)).isTrue();
        }
    }

    /**
     * Started with another master key than the one that sealed the host key, the migration changes nothing (it would
     * leave the host key unreadable for good) and the start fails naming the value and the fix; the fix works.
     */
    @Test
    void aNodeWithTheWrongMasterKeyShouldChangeNothingAndSaySo() throws Exception {
        byte[] raw = random(32);
        TestDatabase.Server db = TestDatabase.fresh();
        JdbcTemplate jdbc = atVersion18(db);
        Timestamp now = Timestamp.from(Instant.now());
        String sealedKey = oldSeal(raw, random(40));
        jdbc.update("INSERT INTO host_keys (algorithm, master_key_id, sealed_key, fingerprint, created_at) "
                + "VALUES ('ssh-ed25519', ?, ?, 'SHA256:x', ?)", MasterKey.fromBase64(Base64.getEncoder()
                .encodeToString(raw)).id(), sealedKey, now);
        String partner = oldSeal(raw, PARTNER_PASSWORD.getBytes(StandardCharsets.UTF_8));
        insertPartner(jdbc, "kept", "aaaa", partner, now);

        String other = Base64.getEncoder().encodeToString(random(32));
        assertThatThrownBy(() -> start(db, other, Files.createTempDirectory("ferry-sealed-"))).rootCause()
                .hasMessageContaining("V19 cannot re-seal host_keys.sealed_key of row 'ssh-ed25519'")
                .hasMessageContaining("changed nothing");
        assertThat(value(jdbc, Column.PARTNER_PASSWORD, "kept")).isEqualTo(partner);
        assertThat(value(jdbc, Column.HOST_KEY, "ssh-ed25519")).isEqualTo(sealedKey);

        // the fix the message gives: Flyway's failed entry removed, the node started with the right key
        assertThat(jdbc.update("DELETE FROM flyway_schema_history WHERE version = '19' AND success = 0"))
                .isEqualTo(1);
        jdbc.update("UPDATE host_keys SET sealed_key = ? WHERE algorithm = 'ssh-ed25519'", oldSeal(raw,
                encodedKey()));
        try (ConfigurableApplicationContext node = start(db, Base64.getEncoder().encodeToString(raw),
                Files.createTempDirectory("ferry-sealed-"))) {
            assertThat(MasterKey.bound(Base64.getDecoder().decode(value(jdbc, Column.PARTNER_PASSWORD, "kept"))))
                    .isTrue();
        }
    }

    private static byte[] encodedKey() throws Exception {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        new OpenSSHKeyPairResourceWriter().writePrivateKey(KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256),
                "ferry", null, encoded);
        return encoded.toByteArray();
    }

    private static JdbcTemplate atVersion18(TestDatabase.Server db) {
        Flyway.configure().dataSource(db.url(), db.username(), db.password()).locations("classpath:db/migration")
                .target(MigrationVersion.fromVersion("18")).load().migrate();
        return new JdbcTemplate(new DriverManagerDataSource(db.url(), db.username(), db.password()));
    }

    private static ConfigurableApplicationContext start(TestDatabase.Server db, String masterKey, Path dataDir) {
        return new SpringApplicationBuilder(FerryApplication.class).run("--ferry.data-dir=" + dataDir,
                "--spring.datasource.url=" + db.url(), "--spring.datasource.username=" + db.username(),
                "--spring.datasource.password=" + db.password(), "--ferry.security.master-key=" + masterKey,
                "--ferry.storage.encryption=true", "--server.port=0", "--ferry.sftp.port=0",
                "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0",
                "--ferry.ftps.passive-ports=0", "--ferry.cluster.name=ferry-sealed-it-" + dataDir.getFileName());
    }

    private static void insertPartner(JdbcTemplate jdbc, String name, String keyId, String sealedPassword,
            Timestamp now) {
        jdbc.update("INSERT INTO partners (name, protocol, host, port, username, master_key_id, sealed_password, "
                + "host_key, remote_dir, connect_timeout_seconds, transfer_timeout_seconds, max_parallel, created_at, "
                + "updated_at) VALUES (?, 'sftp', '127.0.0.1', 22, 'landing', ?, ?, ?, '/', 10, 60, 1, ?, ?)",
                name, keyId, sealedPassword, "SHA256:" + "A".repeat(43), now, now);
    }

    private static String value(JdbcTemplate jdbc, Column column, String row) {
        return jdbc.queryForObject("SELECT " + column.column() + " FROM " + column.table() + " WHERE "
                + column.rowKey() + " = ?", String.class, row);
    }

    /** How releases before 2026-12-06 sealed a value: {@code 1 || nonce || AES-GCM}, with only {@code {1}} as AAD. */
    private static String oldSeal(byte[] key, byte[] plaintext) throws Exception {
        byte[] nonce = random(12);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        cipher.updateAAD(new byte[] {1});
        byte[] body = cipher.doFinal(plaintext);
        byte[] out = new byte[13 + body.length];
        out[0] = 1;
        System.arraycopy(nonce, 0, out, 1, 12);
        System.arraycopy(body, 0, out, 13, body.length);
        return Base64.getEncoder().encodeToString(out);
    }

    private static byte[] random(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
