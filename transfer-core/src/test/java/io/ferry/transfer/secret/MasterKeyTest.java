package io.ferry.transfer.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ferry.transfer.secret.SealedPlace.Column;

class MasterKeyTest {

    private static final SealedPlace HOST_KEY = Column.HOST_KEY.at("ssh-ed25519");

    @TempDir
    Path tmp;

    @Test
    void keyFileShouldBeCreatedOwnerOnlyAndReusedOnTheNextStart() throws Exception {
        Path file = tmp.resolve("data/master.key");
        MasterKey first = MasterKey.fromFile(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        MasterKey second = MasterKey.fromFile(file);
        assertThat(second.id()).isEqualTo(first.id());
        byte[] sealed = first.seal("host key".getBytes(StandardCharsets.UTF_8), HOST_KEY);
        assertThat(new String(second.open(sealed, HOST_KEY), StandardCharsets.UTF_8)).isEqualTo("host key");
    }

    /** A key file others may read was taken without a word; now the start stops and says how to fix it. */
    @Test
    void aKeyFileOthersMayReadShouldBeRefusedWithTheFix() throws Exception {
        Path file = tmp.resolve("open/master.key");
        MasterKey.fromFile(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> MasterKey.fromFile(file)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("open to others (rw-r--r--)").hasMessageContaining("chmod 600 " + file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(MasterKey.fromFile(file).id()).isNotBlank();
    }

    @Test
    void sealedValuesShouldNotContainThePlaintext() {
        MasterKey key = MasterKey.fromFile(tmp.resolve("k"));
        byte[] sealed = key.seal("-----BEGIN OPENSSH PRIVATE KEY-----".getBytes(StandardCharsets.UTF_8), HOST_KEY);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("OPENSSH");
    }

    @Test
    void tamperedOrForeignValuesShouldBeRefused() {
        MasterKey key = MasterKey.fromFile(tmp.resolve("a"));
        MasterKey other = MasterKey.fromFile(tmp.resolve("b"));
        byte[] sealed = key.seal(new byte[] {1, 2, 3}, HOST_KEY);
        assertThatThrownBy(() -> other.open(sealed, HOST_KEY)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("master key");
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> key.open(sealed, HOST_KEY)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * Issue 18 item 10: a sealed value was bound only to its version byte, so someone who can write the database could
     * move one partner's password to another partner. Now a value opens only in the table, column and row it was
     * sealed for.
     */
    @Test
    void aValueMovedToAnotherRowOrColumnShouldNotOpen() {
        MasterKey key = MasterKey.fromFile(tmp.resolve("places"));
        Map<String, Object> row = partner("acme", "sftp.acme.example");
        byte[] acme = key.seal("acme-secret".getBytes(StandardCharsets.UTF_8), Column.PARTNER_PASSWORD.at(row));
        assertThat(new String(key.open(acme, Column.PARTNER_PASSWORD.at(row)), StandardCharsets.UTF_8))
                .isEqualTo("acme-secret");
        assertThatThrownBy(() -> key.open(acme, Column.PARTNER_PASSWORD.at(partner("globex", "sftp.acme.example"))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("sealed for another place")
                .hasMessageContaining("partners.sealed_password of row 'globex'");
        assertThatThrownBy(() -> key.open(acme, Column.PARTNER_PRIVATE_KEY.at(row)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> key.open(acme, Column.ADMIN_TOTP.at("acme")))
                .isInstanceOf(IllegalStateException.class);
        // the same row pointed at another host: the password is not sent there
        assertThatThrownBy(() -> key.open(acme, Column.PARTNER_PASSWORD.at(partner("acme", "attacker.example"))))
                .isInstanceOf(IllegalStateException.class);
        Map<String, Object> empty = new HashMap<>(row);
        empty.put("tls_pin", "");
        assertThat(Column.PARTNER_PASSWORD.at(empty)).as("empty is not null").isNotEqualTo(
                Column.PARTNER_PASSWORD.at(row));
    }

    private static Map<String, Object> partner(String name, String host) {
        Map<String, Object> row = new HashMap<>();
        row.put("name", name);
        row.put("protocol", "sftp");
        row.put("host", host);
        row.put("port", 22);
        row.put("username", "ferry");
        row.put("host_key", "SHA256:" + "A".repeat(43));
        row.put("tls_pin", null);
        row.put("tls_trusted", null);
        return row;
    }

    /**
     * A value of the old, unbound format (sealed here the way releases before 2026-12-06 did, without MasterKey) is
     * refused at run time, so an old value cannot be planted in another row; only the migration opens it.
     */
    @Test
    void anUnboundValueShouldOpenOnlyForTheMigration() throws Exception {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        MasterKey key = MasterKey.fromBase64(Base64.getEncoder().encodeToString(raw));
        byte[] old = unboundSeal(raw, "old secret".getBytes(StandardCharsets.UTF_8));
        assertThat(MasterKey.bound(old)).isFalse();
        assertThatThrownBy(() -> key.open(old, HOST_KEY)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("old format").hasMessageContaining("entered again");
        assertThat(new String(key.openUnbound(old), StandardCharsets.UTF_8)).isEqualTo("old secret");
        byte[] resealed = key.seal(key.openUnbound(old), HOST_KEY);
        assertThat(MasterKey.bound(resealed)).isTrue();
        assertThatThrownBy(() -> key.openUnbound(resealed)).isInstanceOf(IllegalStateException.class);
    }

    /** The format of releases before 2026-12-06: {@code 1 || nonce || AES-GCM(plaintext)} with {@code {1}} as AAD. */
    static byte[] unboundSeal(byte[] key, byte[] plaintext) throws Exception {
        byte[] nonce = new byte[12];
        new SecureRandom().nextBytes(nonce);
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
        cipher.updateAAD(new byte[] {1});
        byte[] body = cipher.doFinal(plaintext);
        byte[] out = new byte[1 + 12 + body.length];
        out[0] = 1;
        System.arraycopy(nonce, 0, out, 1, 12);
        System.arraycopy(body, 0, out, 13, body.length);
        return out;
    }

    @Test
    void configuredKeyMustBe32Bytes() {
        assertThatThrownBy(() -> MasterKey.fromBase64("c2hvcnQ=")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
    }
}
