package io.ferry.edge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;

/**
 * One transfer node as this edge sees it: its internal listener's address, a control session (kept open) that asks
 * it questions, what it last answered, and how many partner sessions this edge relays to it now.
 */
final class Backend {

    private final String address;
    private final String host;
    private final int port;
    private final SshClient client;
    private final String login;
    private final String secret;
    private final Duration timeout;
    private final AtomicInteger relayed = new AtomicInteger();
    private ClientSession control;
    private volatile Map<String, String> status = Map.of();
    private volatile boolean up;

    Backend(String address, SshClient client, String edgeName, String secret, Duration timeout) {
        this.address = address;
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("ferry.edge.backends: '" + address + "' is not host:port");
        }
        this.host = address.substring(0, colon);
        this.port = Integer.parseInt(address.substring(colon + 1));
        this.client = client;
        this.login = "edge:" + edgeName;
        this.secret = secret;
        this.timeout = timeout;
    }

    String address() {
        return address;
    }

    /** The node's id as it reported it, or its address until it did. */
    String name() {
        return status.getOrDefault("node", address);
    }

    /** Answered its last status request in time and serves partners. */
    boolean ready() {
        return up && "true".equals(status.get("serving")) && "up".equals(status.get("storage"));
    }

    boolean up() {
        return up;
    }

    Map<String, String> status() {
        return status;
    }

    AtomicInteger relayed() {
        return relayed;
    }

    /**
     * Asks for the node's status; on any failure (no answer within the timeout) the node is out of service until it
     * answers again. A slow answer keeps the control session (other requests on it go on); a broken one is
     * reconnected at the next poll.
     */
    void poll() {
        try {
            Properties answer = request("status", new Properties(), timeout);
            Map<String, String> now = new java.util.HashMap<>();
            answer.stringPropertyNames().forEach(k -> now.put(k, answer.getProperty(k)));
            observe(now);
        } catch (IOException | RuntimeException e) {
            up = false;
        }
    }

    /** What the node answered to a status request. */
    void observe(Map<String, String> answer) {
        status = Map.copyOf(answer);
        up = true;
    }

    void markDown() {
        up = false;
        ClientSession old;
        synchronized (this) {
            old = control;
            control = null;
        }
        if (old != null) {
            old.close(true);
        }
    }

    /**
     * One request on the control session: the request's properties in, the answer's out. A login waits longer than
     * a status poll: under a burst of logins the node answers them in turn, and a slow answer is not a dead node.
     */
    Properties request(String command, Properties request) throws IOException {
        return request(command, request, timeout.multipliedBy(10));
    }

    private Properties request(String command, Properties request, Duration timeout) throws IOException {
        ClientSession session = control();
        StringWriter text = new StringWriter();
        request.store(text, null);
        try (ChannelExec channel = session.createExecChannel(command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            channel.setOut(out);
            channel.setErr(err);
            channel.open().verify(timeout);
            try (OutputStream in = channel.getInvertedIn()) {
                in.write(text.toString().getBytes(StandardCharsets.UTF_8));
            }
            var events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), timeout);
            if (events.contains(ClientChannelEvent.TIMEOUT)) {
                throw new IOException("node " + address + " did not answer '" + command + "' within " + timeout);
            }
            Integer exit = channel.getExitStatus();
            if (exit == null || exit != 0) {
                throw new IOException("node " + address + " refused '" + command + "': "
                        + err.toString(StandardCharsets.UTF_8).trim());
            }
            Properties answer = new Properties();
            answer.load(new StringReader(out.toString(StandardCharsets.UTF_8)));
            return answer;
        }
    }

    private synchronized ClientSession control() throws IOException {
        if (control != null && control.isOpen()) {
            return control;
        }
        control = connect(login);
        return control;
    }

    /**
     * A new session on the node: the control session, or a partner's file session ({@code edge:<name>:<ticket>}). A
     * key exchange under a burst of logins takes longer than a status answer: it may take ten times as long.
     */
    ClientSession connect(String username) throws IOException {
        Duration patience = timeout.multipliedBy(10);
        ClientSession session = client.connect(username, host, port).verify(patience).getSession();
        try {
            session.addPasswordIdentity(secret);
            session.auth().verify(patience);
            return session;
        } catch (IOException | RuntimeException e) {
            session.close(true);
            throw e;
        }
    }

    /** A partner's file session on this node, opened with the one-time ticket the node gave for the partner. */
    ClientSession fileSession(String ticket) throws IOException {
        return connect(login + ":" + ticket);
    }

    void close() {
        markDown();
    }
}
