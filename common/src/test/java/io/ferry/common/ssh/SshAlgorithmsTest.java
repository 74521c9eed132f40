package io.ferry.common.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.apache.sshd.common.NamedResource;
import org.apache.sshd.server.SshServer;
import org.junit.jupiter.api.Test;

class SshAlgorithmsTest {

    @Test
    void theDefaultsShouldOfferOnlyModernAlgorithms() {
        SshServer server = SshServer.setUpDefaultServer();
        SshAlgorithms.applyServer(SshAlgorithms.Lists.DEFAULTS, server, "ferry.sftp.");
        assertThat(NamedResource.getNameList(server.getCipherFactories()))
                .startsWith("aes128-gcm@openssh.com").doesNotContain("aes128-cbc", "chacha20-poly1305@openssh.com");
        assertThat(NamedResource.getNameList(server.getMacFactories())).noneMatch(name -> name.contains("sha1"));
        assertThat(NamedResource.getNameList(server.getSignatureFactories())).doesNotContain("ssh-rsa", "ssh-dss");
    }

    @Test
    void runTimeListsShouldOverrideTheConfiguredOnesAndBlankShouldKeepThem() {
        SshAlgorithms.Lists configured = new SshAlgorithms.Lists(List.of("aes256-ctr"), List.of(), List.of(),
                List.of());
        SshServer server = SshServer.setUpDefaultServer();
        SshAlgorithms.applyServer(configured.with(Map.of("ciphers", "", "macs", " hmac-sha2-512 ")), server, "x.");
        assertThat(NamedResource.getNameList(server.getCipherFactories())).containsExactly("aes256-ctr");
        assertThat(NamedResource.getNameList(server.getMacFactories())).containsExactly("hmac-sha2-512");

        SshAlgorithms.applyServer(configured.with(Map.of("ciphers", "chacha20-poly1305@openssh.com")), server, "x.");
        assertThat(NamedResource.getNameList(server.getCipherFactories()))
                .containsExactly("chacha20-poly1305@openssh.com");
        assertThat(server.getCipherFactories().get(0)).isSameAs(ChaCha20Poly1305.FACTORY);
    }

    @Test
    void anUnknownNameShouldBeRefusedWithItsListNamed() {
        assertThat(SshAlgorithms.check("ciphers", " aes256-ctr , aes128-gcm@openssh.com "))
                .isEqualTo("aes256-ctr,aes128-gcm@openssh.com");
        assertThat(SshAlgorithms.check("macs", "  ")).isEmpty();
        assertThatThrownBy(() -> SshAlgorithms.check("ciphers", "aes256-ctr,rc4-9000"))
                .hasMessageContaining("ferry.sftp.ciphers").hasMessageContaining("rc4-9000");
        assertThatThrownBy(() -> SshAlgorithms.check("shells", "bash")).isInstanceOf(IllegalArgumentException.class);
        // MINA knows these, and nothing weak may come in at run time (the settings API, or a node's status at an edge)
        for (String weak : List.of("none", "3des-cbc", "aes128-cbc", "arcfour128", "blowfish-cbc")) {
            assertThatThrownBy(() -> SshAlgorithms.check("ciphers", "aes256-ctr," + weak))
                    .hasMessageContaining("'" + weak + "' is not one Ferry offers");
        }
        assertThatThrownBy(() -> SshAlgorithms.check("macs", "hmac-sha1")).hasMessageContaining("hmac-sha2-256");
        assertThatThrownBy(() -> SshAlgorithms.check("kex-algorithms", "diffie-hellman-group1-sha1"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SshAlgorithms.check("ciphers", "chacha20-poly1305@openssh.com"))
                .isEqualTo("chacha20-poly1305@openssh.com");
        SshServer edge = SshServer.setUpDefaultServer();
        assertThatThrownBy(() -> SshAlgorithms.applyRuntime(Map.of("ciphers", "3des-cbc"), edge, "x."))
                .isInstanceOf(IllegalArgumentException.class);
        SshServer server = SshServer.setUpDefaultServer();
        assertThatThrownBy(() -> SshAlgorithms.applyServer(SshAlgorithms.Lists.DEFAULTS.with(
                Map.of("kex-algorithms", "diffie-hellman-group1-sha0")), server, "the cluster's sftp."))
                .hasMessageContaining("the cluster's sftp.kex-algorithms");
    }
}
