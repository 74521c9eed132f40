package io.ferry.transfer.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {

    @TempDir
    Path tmp;

    @Test
    void keyFileShouldBeCreatedOwnerOnlyAndReusedOnTheNextStart() throws Exception {
        Path file = tmp.resolve("data/master.key");
        MasterKey first = MasterKey.fromFile(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        MasterKey second = MasterKey.fromFile(file);
        assertThat(second.id()).isEqualTo(first.id());
        byte[] sealed = first.seal("host key".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(second.open(sealed), StandardCharsets.UTF_8)).isEqualTo("host key");
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
        byte[] sealed = key.seal("-----BEGIN OPENSSH PRIVATE KEY-----".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("OPENSSH");
    }

    @Test
    void tamperedOrForeignValuesShouldBeRefused() {
        MasterKey key = MasterKey.fromFile(tmp.resolve("a"));
        MasterKey other = MasterKey.fromFile(tmp.resolve("b"));
        byte[] sealed = key.seal(new byte[] {1, 2, 3});
        assertThatThrownBy(() -> other.open(sealed)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("master key");
        sealed[sealed.length - 1] ^= 1;
        assertThatThrownBy(() -> key.open(sealed)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void configuredKeyMustBe32Bytes() {
        assertThatThrownBy(() -> MasterKey.fromBase64("c2hvcnQ=")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
    }
}
