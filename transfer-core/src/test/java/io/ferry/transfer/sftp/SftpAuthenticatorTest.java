package io.ferry.transfer.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.nio.file.Path;
import java.security.KeyPair;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.server.session.ServerSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.session.PartnerLogins;

/**
 * The public-key authenticator is asked twice per login (RFC 4252 section 7): for the key, then with its
 * signature. The second question must be about the key that signed, never answered from the first.
 */
class SftpAuthenticatorTest {

    @TempDir
    Path storage;

    @Test
    void aProbeWithOnePublicKeyShouldNotAcceptAnotherKeyForTheSignature() throws Exception {
        KeyPair victimKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        KeyPair attackerKey = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        Account victim = mock(Account.class);
        when(victim.getUsername()).thenReturn("victim");
        when(victim.getHome()).thenReturn("victim");
        when(victim.permits(any())).thenReturn(true); // no address rules
        AccountService accounts = mock(AccountService.class);
        when(accounts.authenticate("victim", victimKey.getPublic())).thenReturn(Optional.of(victim));
        when(accounts.authenticate("victim", attackerKey.getPublic())).thenReturn(Optional.empty());
        SftpAuthenticator authenticator = new SftpAuthenticator(new PartnerLogins(accounts, new StorageRoot(storage),
                io.ferry.transfer.node.Defender.NONE, io.ferry.transfer.node.Logins.NONE), Runnable::run);
        ServerSession session = sessionWithAttributes();

        // the victim's public key is public: anyone can ask whether it would be accepted
        assertThat(authenticator.authenticate("victim", victimKey.getPublic(), session)).isTrue();
        // ...but the signed request then comes with the attacker's own key pair
        assertThat(authenticator.authenticate("victim", attackerKey.getPublic(), session)).isFalse();
        // the real owner, signing with the registered key, gets in
        assertThat(authenticator.authenticate("victim", victimKey.getPublic(), session)).isTrue();
    }

    @SuppressWarnings("unchecked")
    private static ServerSession sessionWithAttributes() {
        Map<AttributeKey<?>, Object> attributes = new HashMap<>();
        ServerSession session = mock(ServerSession.class);
        when(session.getUsername()).thenReturn("victim");
        doAnswer(call -> attributes.get(call.getArgument(0))).when(session).getAttribute(any());
        doAnswer(call -> attributes.put(call.getArgument(0), call.getArgument(1))).when(session)
                .setAttribute(any(), any());
        return session;
    }
}
