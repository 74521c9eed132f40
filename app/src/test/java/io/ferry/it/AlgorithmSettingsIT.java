package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.Cipher;
import org.apache.sshd.common.NamedFactory;
import org.junit.jupiter.api.Test;

/**
 * The partners' SSH cipher list changed at run time (the settings API, as the console's Settings page does): new
 * sessions get the new list at once, a name this JVM cannot provide is refused, a reset goes back to the node's
 * configuration.
 */
class AlgorithmSettingsIT extends NodeIT {

    @Test
    void aChangedCipherListShouldApplyToTheNextSessionAndResetToTheConfiguredOne() throws Exception {
        String user = uniqueUser("algo");
        admin().createAccount(user, "algo-password-1");
        assertThat(connects(user, BuiltinCiphers.aes128gcm)).as("a default cipher").isTrue();
        try {
            Api.Response refused = admin().put("/api/v1/settings/sftp.ciphers", "{\"value\":\"aes256-ctr,rc4-9000\"}");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("rc4-9000");
            Api.Response set = admin().put("/api/v1/settings/sftp.ciphers", "{\"value\":\" aes256-ctr , "
                    + "aes256-gcm@openssh.com\"}");
            assertThat(set.status()).as(set.body()).isEqualTo(200);
            assertThat(set.json().get("value").asString()).isEqualTo("aes256-ctr,aes256-gcm@openssh.com");
            await().atMost(Duration.ofSeconds(10)).until(() -> !connects(user, BuiltinCiphers.aes128gcm));
            assertThat(connects(user, BuiltinCiphers.aes256ctr)).isTrue();
        } finally {
            assertThat(admin().delete("/api/v1/settings/sftp.ciphers").status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> connects(user, BuiltinCiphers.aes128gcm));
        assertThat(admin().get("/api/v1/settings").body()).contains("sftp.macs", "sftp.kex-algorithms");
    }

    /** Whether a client that offers only {@code cipher} logs in. */
    private boolean connects(String user, NamedFactory<Cipher> cipher) throws Exception {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.setCipherFactories(List.of(cipher));
        client.start();
        try (ClientSession session = client.connect(user, "127.0.0.1", sftpPort()).verify(Duration.ofSeconds(10))
                .getSession()) {
            session.addPasswordIdentity("algo-password-1");
            session.auth().verify(Duration.ofSeconds(10));
            return true;
        } catch (java.io.IOException e) {
            return false;
        } finally {
            client.stop();
        }
    }
}
