package io.ferry.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.function.Consumer;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

/** Apache MINA's SSH client, logging in over password or key and opening SFTP sessions. */
final class SftpClients implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final SshClient client;

    SftpClients() {
        client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.start();
    }

    SshClient client() {
        return client;
    }

    ClientSession login(int port, String username, String password) throws IOException {
        return login(port, username, session -> session.addPasswordIdentity(password));
    }

    ClientSession login(int port, String username, KeyPair key) throws IOException {
        return login(port, username, session -> session.addPublicKeyIdentity(key));
    }

    private ClientSession login(int port, String username, Consumer<ClientSession> identity) throws IOException {
        ClientSession session = client.connect(username, "127.0.0.1", port).verify(TIMEOUT).getSession();
        try {
            identity.accept(session);
            session.auth().verify(TIMEOUT);
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            throw e;
        }
    }

    /** An SFTP client whose close also closes its SSH session. */
    SftpClient sftp(int port, String username, String password) throws IOException {
        ClientSession session = login(port, username, password);
        return SftpClientFactory.instance().createSftpClient(session).singleSessionInstance();
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
