package io.ferry.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Properties;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;

/**
 * An edge's control session on a node's edge listener, as a registered edge (or one that was compromised) opens
 * it: {@code edge:<name>} with the registration's secret, one request per exec channel, a {@link Properties} text in
 * and out.
 */
final class EdgeControl implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** One answer: the exit status, and what came on stdout (properties) and stderr. */
    record Answer(int exit, Properties properties, String error) {
    }

    private final SshClient client = SshClient.setUpDefaultClient();
    private final ClientSession session;

    EdgeControl(int port, String edge, String secret) throws IOException {
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        client.start();
        try {
            session = client.connect("edge:" + edge, "127.0.0.1", port).verify(TIMEOUT).getSession();
            session.addPasswordIdentity(secret);
            session.auth().verify(TIMEOUT);
        } catch (IOException | RuntimeException e) {
            client.stop();
            throw e;
        }
    }

    /** Sends {@code command} with {@code request}; the node's answer. */
    Answer request(String command, Properties request) throws IOException {
        StringWriter text = new StringWriter();
        request.store(text, null);
        try (ChannelExec channel = session.createExecChannel(command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            channel.setOut(out);
            channel.setErr(err);
            channel.open().verify(TIMEOUT);
            try (OutputStream in = channel.getInvertedIn()) {
                in.write(text.toString().getBytes(StandardCharsets.UTF_8));
            }
            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TIMEOUT);
            Properties answer = new Properties();
            answer.load(new StringReader(out.toString(StandardCharsets.UTF_8)));
            Integer exit = channel.getExitStatus();
            return new Answer(exit == null ? -1 : exit, answer, err.toString(StandardCharsets.UTF_8));
        }
    }

    @Override
    public void close() throws IOException {
        try {
            session.close();
        } finally {
            client.stop();
        }
    }
}
