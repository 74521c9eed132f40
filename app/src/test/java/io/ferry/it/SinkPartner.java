package io.ferry.it;

import java.io.IOException;
import java.nio.file.CopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * A trading partner's SFTP server that Ferry delivers to: a plain MINA SFTP server of the test's own, with a password
 * and its own host key, that counts how often each final name is renamed into place (a delivery that ran twice
 * would rename twice).
 */
final class SinkPartner {

    static final String PASSWORD = "sink-password";

    private final SshServer server = SshServer.setUpDefaultServer();
    private final Path root;
    private final Map<String, Integer> renames = new ConcurrentHashMap<>();

    SinkPartner(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("in"));
        server.setHost("127.0.0.1");
        server.setPort(0);
        server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider());
        server.setPasswordAuthenticator((user, password, session) -> "ferry".equals(user)
                && PASSWORD.equals(password));
        server.setFileSystemFactory(new VirtualFileSystemFactory(root));
        SftpSubsystemFactory sftp = new SftpSubsystemFactory();
        sftp.addSftpEventListener(new SftpEventListener() {
            @Override
            public void moved(ServerSession session, Path source, Path target, Collection<CopyOption> opts,
                    Throwable thrown) {
                if (thrown == null) {
                    renames.merge(target.getFileName().toString(), 1, Integer::sum);
                }
            }
        });
        server.setSubsystemFactories(List.of(sftp));
        server.start();
    }

    int port() {
        return server.getPort();
    }

    Path root() {
        return root;
    }

    String fingerprint() throws Exception {
        for (KeyPair key : server.getKeyPairProvider().loadKeys(null)) {
            return KeyUtils.getFingerPrint(key.getPublic());
        }
        throw new IllegalStateException("no host key");
    }

    /** How often each final name was renamed into place. */
    Map<String, Integer> writesOfFinalNames() {
        return renames;
    }

    /** The partner's JSON for {@code POST /api/v1/partners}, named {@code name}, delivering into {@code /in}. */
    String partnerJson(String name) throws Exception {
        return "{\"name\":\"" + name + "\",\"host\":\"127.0.0.1\",\"port\":" + port()
                + ",\"username\":\"ferry\",\"password\":\"" + PASSWORD + "\",\"hostKey\":\"" + fingerprint()
                + "\",\"remoteDir\":\"/in\"}";
    }

    void stop() throws IOException {
        server.stop(true);
    }
}
