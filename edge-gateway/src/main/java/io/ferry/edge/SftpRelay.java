package io.ferry.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelDataReceiver;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.AsyncCommand;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.edge.EdgeSftpLogins.Admission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The edge's {@code sftp} subsystem, for {@link EdgeSftpServer}: relays each SFTP channel of a partner's session to
 * an SFTP channel on the partner's file session on its node. That file session is opened on the first channel, with
 * the ticket the login earned ({@link EdgeSftpLogins}), and kept for more; when the node ends it, the partner's
 * session ends too. The bytes relayed either way are counted in {@code ferry.edge.bytes}.
 */
final class SftpRelay implements SubsystemFactory {

    private static final Logger log = LoggerFactory.getLogger(SftpRelay.class);

    /** The partner's file session on its node. */
    private static final AttributeKey<ClientSession> RELAY = new AttributeKey<>();

    private final ExecutorService workers;
    private final Duration openTimeout;
    private final Counter uploaded;
    private final Counter downloaded;

    /**
     * @param meters      where the relayed bytes are counted
     * @param workers     where the file session and the node's channel are opened (a channel's start returns at once)
     * @param openTimeout how long the node's SFTP channel may take to open
     */
    SftpRelay(MeterRegistry meters, ExecutorService workers, Duration openTimeout) {
        this.workers = workers;
        this.openTimeout = openTimeout;
        this.uploaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "upload")
                .baseUnit("bytes").description("bytes relayed from partners to nodes").register(meters);
        this.downloaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "download")
                .baseUnit("bytes").description("bytes relayed from nodes to partners").register(meters);
    }

    @Override
    public String getName() {
        return "sftp";
    }

    @Override
    public Command createSubsystem(ChannelSession channel) {
        return new ChannelRelay(channel);
    }

    /** Closes the partner's file session on its node, if one was opened, once the partner's session closed. */
    static void partnerClosed(Session session) {
        ClientSession relay = session.getAttribute(RELAY);
        if (relay != null) {
            relay.close(false);
        }
    }

    /** Logs with the partner session's id and address in the MDC. */
    private static void withMdc(Session session, Runnable logging) {
        SessionIds.withMdc("sftp", session.getAttribute(EdgeSftpServer.SESSION),
                session.getAttribute(EdgeSftpServer.ADDRESS), logging);
    }

    /** The partner's file session on its node, opened with the ticket on the first SFTP channel, kept for more. */
    private ClientSession relaySession(ServerSession session) throws IOException {
        synchronized (session) {
            ClientSession relay = session.getAttribute(RELAY);
            if (relay != null && relay.isOpen()) {
                return relay;
            }
            Admission admission = session.getAttribute(EdgeSftpLogins.ADMISSION);
            if (admission == null || relay != null) {
                throw new IOException("the session has no admission for another file session");
            }
            Backend backend = admission.backend();
            ClientSession opened = backend.fileSession(admission.ticket());
            backend.relayed().incrementAndGet();
            opened.addCloseFutureListener(f -> {
                backend.relayed().decrementAndGet();
                if (session.isOpen()) {
                    withMdc(session, () -> log.info("Node {} ended the session of '{}'", backend.name(),
                            admission.username()));
                    session.close(false);
                }
            });
            session.setAttribute(RELAY, opened);
            if (!session.isOpen()) {
                opened.close(true); // the partner left while its file session opened: nothing will close it
                throw new IOException("the partner's session closed");
            }
            return opened;
        }
    }

    /**
     * The SFTP subsystem at the edge: the partner's channel and the node's, joined without a stream in between. What
     * the partner sends is handed to the node's channel as it arrives, and the partner's window reopens only when
     * the node's channel has taken it; the same the other way. So each side's SSH window throttles the other, memory
     * is bounded by the windows, and no thread blocks. (MINA's asynchronous input streams compact their buffer on
     * every read, which copied megabytes per packet here.)
     */
    private final class ChannelRelay implements AsyncCommand {
        private final ChannelSession partnerChannel;
        private IoOutputStream partnerOut;
        private ExitCallback exit;
        private volatile NodeChannel channel;
        private volatile Writer toNode;
        private final AtomicBoolean ended = new AtomicBoolean();
        /** What the partner sent before the node's channel was open. */
        private final List<byte[]> early = new ArrayList<>();
        private boolean partnerDone;
        private volatile Writer toPartner;

        ChannelRelay(ChannelSession partnerChannel) {
            this.partnerChannel = partnerChannel;
            partnerChannel.setDataReceiver(new ChannelDataReceiver() {
                @Override
                public int data(ChannelSession ch, byte[] buf, int start, int len) {
                    byte[] copy = Arrays.copyOfRange(buf, start, start + len);
                    uploaded.increment(len);
                    synchronized (ChannelRelay.this) {
                        if (toNode == null) {
                            early.add(copy);
                            return 0; // the window reopens once the node's channel took it
                        }
                        // queued in arrival order, under the lock that also queued the early bytes first
                        toNode.write(new ByteArrayBuffer(copy), () -> release(ch, len));
                    }
                    return 0;
                }

                @Override
                public void close() {
                    // the partner is done sending (EOF or close): the node's channel closes after what is queued
                    synchronized (ChannelRelay.this) {
                        partnerDone = true;
                        if (toNode != null) {
                            toNode.then(ChannelRelay.this::closeNode);
                        }
                    }
                }
            });
        }

        private void closeNode() {
            NodeChannel open = channel;
            if (open != null) {
                open.close(false);
            }
        }

        private void release(ChannelSession ch, long len) {
            try {
                ch.getLocalWindow().release(len);
            } catch (IOException e) {
                ch.close(true);
            }
        }

        @Override
        public void setIoInputStream(IoInputStream in) {
            // not used: the data receiver takes the partner's bytes
        }

        @Override
        public void setIoOutputStream(IoOutputStream out) {
            this.partnerOut = out;
        }

        @Override
        public void setIoErrorStream(IoOutputStream err) {
            // the node's error stream is not relayed (an SFTP server writes nothing there)
        }

        @Override
        public void setInputStream(InputStream in) {
            // the asynchronous streams are used
        }

        @Override
        public void setOutputStream(OutputStream out) {
            // the asynchronous streams are used
        }

        @Override
        public void setErrorStream(OutputStream err) {
            // the asynchronous streams are used
        }

        @Override
        public void setExitCallback(ExitCallback exit) {
            this.exit = exit;
        }

        @Override
        public void start(ChannelSession ignored, Environment env) {
            ServerSession session = partnerChannel.getServerSession();
            Writer partnerWriter = new Writer(partnerOut, () -> end(1));
            toPartner = partnerWriter;
            workers.execute(() -> {
                try {
                    ClientSession relay = relaySession(session);
                    NodeChannel sftp = new NodeChannel(partnerWriter);
                    relay.getService(ConnectionService.class).registerChannel(sftp);
                    sftp.setStreaming(ClientChannel.Streaming.Async);
                    channel = sftp;
                    // the partner hears the end only after every answer the node sent is written to it
                    sftp.addCloseFutureListener(f -> partnerWriter.then(
                            () -> end(sftp.getExitStatus() == null ? 0 : sftp.getExitStatus())));
                    sftp.open().verify(openTimeout);
                    if (!partnerChannel.isOpen() || !session.isOpen()) {
                        sftp.close(true); // the partner left while the node's channel opened
                        return;
                    }
                    Writer writer = new Writer(sftp.getAsyncIn(), () -> sftp.close(true));
                    synchronized (this) {
                        for (byte[] bytes : early) {
                            writer.write(new ByteArrayBuffer(bytes), () -> release(partnerChannel, bytes.length));
                        }
                        early.clear();
                        toNode = writer;
                        if (partnerDone) {
                            writer.then(this::closeNode);
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    withMdc(session, () -> log.warn("Relaying SFTP for {} from {} failed: {}", session.getUsername(),
                            session.getAttribute(EdgeSftpServer.ADDRESS), e.toString()));
                    end(1);
                }
            });
        }

        private void end(int status) {
            if (ended.compareAndSet(false, true)) {
                exit.onExit(status);
            }
        }

        @Override
        public void destroy(ChannelSession partnerChannel) {
            NodeChannel open = channel;
            if (open != null) {
                open.close(false);
            }
        }
    }

    /** The node's side of a relay: what the node sends goes straight to the partner's channel. */
    private final class NodeChannel extends ChannelSubsystem {
        private final Writer toPartner;

        NodeChannel(Writer toPartner) {
            super("sftp");
            this.toPartner = toPartner;
        }

        @Override
        protected void doWriteData(byte[] data, int off, long len) {
            downloaded.increment(len);
            toPartner.write(new ByteArrayBuffer(Arrays.copyOfRange(data, off, off + (int) len)), () -> {
                try {
                    getLocalWindow().release(len);
                } catch (IOException e) {
                    close(true);
                }
            });
        }

        @Override
        protected void doWriteExtendedData(byte[] data, int off, long len) throws IOException {
            getLocalWindow().release(len); // an SFTP server's error stream: nothing a partner needs
        }
    }

    /**
     * Writes buffers to an asynchronous stream one after another (MINA's channel streams take one write at a time),
     * running each buffer's callback once it is written; the first failure runs {@code onError}.
     */
    private static final class Writer {
        private final IoOutputStream out;
        private final Runnable onError;
        private final ArrayDeque<Object[]> queue = new ArrayDeque<>();
        private boolean writing;

        Writer(IoOutputStream out, Runnable onError) {
            this.out = out;
            this.onError = onError;
        }

        /** Runs {@code action} once everything queued so far is written (at once if nothing is). */
        void then(Runnable action) {
            write(null, action);
        }

        void write(Buffer buffer, Runnable written) {
            synchronized (this) {
                queue.add(new Object[] {buffer, written});
                if (writing) {
                    return;
                }
                writing = true;
            }
            next();
        }

        private void next() {
            Object[] item;
            synchronized (this) {
                item = queue.poll();
                if (item == null) {
                    writing = false;
                    return;
                }
            }
            if (item[0] == null) { // a marker: everything before it is written
                ((Runnable) item[1]).run();
                next();
                return;
            }
            try {
                out.writeBuffer((Buffer) item[0]).addListener(f -> {
                    if (f.getException() != null) {
                        onError.run();
                        return;
                    }
                    ((Runnable) item[1]).run();
                    next();
                });
            } catch (IOException | RuntimeException e) {
                onError.run();
            }
        }
    }
}
