package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.client.ClientBuilder;
import org.junit.jupiter.api.Test;

/** The server offers modern SSH algorithms only, and what a stock client negotiates is fast AES-GCM. */
class AlgorithmPolicyIT extends NodeIT {

    @Test
    void defaultClientShouldNegotiateAesGcmAndCurve25519OrBetter() throws Exception {
        String user = uniqueUser("algo");
        admin().createAccount(user, "partner-password");
        try (ClientSession session = clients.login(sftpPort(), user, "partner-password")) {
            assertThat(session.getNegotiatedKexParameter(KexProposalOption.S2CENC)).startsWith("aes")
                    .doesNotContain("cbc");
            assertThat(session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS))
                    .isIn("mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org");
            assertThat(session.getNegotiatedKexParameter(KexProposalOption.SERVERKEYS)).isEqualTo("ssh-ed25519");
        }
    }

    @Test
    void weakAlgorithmsShouldNotBeNegotiated() throws Exception {
        String user = uniqueUser("weak");
        admin().createAccount(user, "partner-password");
        // control: with the client's defaults the same login works, so a failure below is the negotiation's
        clients.login(sftpPort(), user, "partner-password").close();
        assertRefused(user, client -> client.setCipherFactories(List.of(BuiltinCiphers.aes128cbc, BuiltinCiphers.tripledescbc)));
        assertRefused(user, client -> client.setCipherFactories(List.of(BuiltinCiphers.cc20p1305_openssh)));
        assertRefused(user, client -> client.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false,
                List.of(BuiltinDHFactories.dhg1, BuiltinDHFactories.dhg14), ClientBuilder.DH2KEX)));
        assertRefused(user, client -> {
            client.setCipherFactories(List.of(BuiltinCiphers.aes128ctr));
            client.setMacFactories(List.of(BuiltinMacs.hmacsha1, BuiltinMacs.hmacmd5));
        });
        assertRefused(user, client -> client.setSignatureFactories(List.of(BuiltinSignatures.rsa, BuiltinSignatures.dsa)));
    }

    private void assertRefused(String user, java.util.function.Consumer<SshClient> restrict) {
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        restrict.accept(client);
        client.start();
        try {
            assertThatThrownBy(() -> {
                try (ClientSession session = client.connect(user, "127.0.0.1", sftpPort())
                        .verify(SftpClients.TIMEOUT).getSession()) {
                    session.addPasswordIdentity("partner-password");
                    session.auth().verify(SftpClients.TIMEOUT);
                }
            }).hasStackTraceContaining("Unable to negotiate");
        } finally {
            client.stop();
        }
    }
}
