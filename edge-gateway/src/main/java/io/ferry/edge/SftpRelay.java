package io.ferry.edge;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.edge.EdgeSftpLogins.Admission;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The edge's {@code sftp} subsystem, for {@link EdgeSftpServer}: relays each SFTP channel of a partner's session to
 * an SFTP channel on the partner's file session on its node ({@link SftpChannelRelay}). That file session is the
 * partner's {@link NodeLink}: opened on the first channel with the ticket the login earned ({@link EdgeSftpLogins}),
 * kept for more, and carried over to another node when its node dies. When it cannot be, the partner's session ends.
 * The bytes relayed either way are counted in {@code ferry.edge.bytes}, failovers in {@code ferry.edge.failovers}.
 */
final class SftpRelay implements SubsystemFactory {

    private static final Logger log = LoggerFactory.getLogger(SftpRelay.class);

    /** The partner's file session on its node. */
    private static final AttributeKey<NodeLink> LINK = new AttributeKey<>();

    private final Backends backends;
    private final ExecutorService workers;
    private final Duration openTimeout;
    private final EdgeProperties.Failover failover;
    private final Counter uploaded;
    private final Counter downloaded;
    private final Timer failovers;
    private final AtomicLong held = new AtomicLong();

    /**
     * @param meters      where the relayed bytes are counted
     * @param workers     where the file session and the node's channel are opened (a channel's start returns at once)
     * @param openTimeout how long the node's SFTP channel may take to open
     */
    SftpRelay(Backends backends, EdgeProperties.Failover failover, MeterRegistry meters, ExecutorService workers,
            Duration openTimeout) {
        this.backends = backends;
        this.failover = failover;
        this.workers = workers;
        this.openTimeout = openTimeout;
        this.uploaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "upload")
                .baseUnit("bytes").description("bytes relayed from partners to nodes").register(meters);
        this.downloaded = Counter.builder("ferry.edge.bytes").tag("protocol", "sftp").tag("direction", "download")
                .baseUnit("bytes").description("bytes relayed from nodes to partners").register(meters);
        this.failovers = Timer.builder("ferry.edge.failovers").tag("protocol", "sftp")
                .description("SFTP channels carried over to another node when theirs died, and the pause each took")
                .register(meters);
        Gauge.builder("ferry.edge.failover.held", held, AtomicLong::get).baseUnit("bytes")
                .description("bytes of uploads the edge holds to send again if their node dies").register(meters);
    }

    @Override
    public String getName() {
        return "sftp";
    }

    @Override
    public Command createSubsystem(ChannelSession channel) {
        return new SftpChannelRelay(this, channel);
    }

    /** Closes the partner's file session on its node, if one was opened, once the partner's session closed. */
    static void partnerClosed(Session session) {
        NodeLink link = session.getAttribute(LINK);
        if (link != null) {
            link.close();
        }
    }

    /** Logs with the partner session's id and address in the MDC. */
    void withMdc(Session session, Runnable logging) {
        SessionIds.withMdc("sftp", session.getAttribute(EdgeSftpServer.SESSION),
                session.getAttribute(EdgeSftpServer.ADDRESS), logging);
    }

    /** The partner's link to its node, made from its admission on the first SFTP channel. */
    NodeLink link(ServerSession session) throws IOException {
        synchronized (session) {
            NodeLink link = session.getAttribute(LINK);
            if (link != null) {
                return link;
            }
            Admission admission = session.getAttribute(EdgeSftpLogins.ADMISSION);
            if (admission == null) {
                throw new IOException("the session has no admission for a file session");
            }
            NodeLink made = new NodeLink(backends, admission.backend(), admission.ticket(), admission.grant(),
                    admission.username(), session.getAttribute(EdgeSftpServer.ADDRESS),
                    failover.enabled() ? failover.timeout() : Duration.ZERO, opened -> watch(session, opened));
            session.setAttribute(LINK, made);
            if (!session.isOpen()) {
                made.close();
                throw new IOException("the partner's session closed");
            }
            return made;
        }
    }

    /**
     * Ends the partner's session with its node's, unless the link carries it over (its channels then do, each when
     * its own node channel closes).
     */
    private void watch(ServerSession session, ClientSession opened) {
        opened.addCloseFutureListener(f -> {
            NodeLink link = session.getAttribute(LINK);
            if (session.isOpen() && (link == null || !link.canFailOver())) {
                withMdc(session, () -> log.info("Node {} ended the session of '{}'",
                        link == null ? "?" : link.backend().name(), session.getUsername()));
                session.close(false);
            }
        });
    }

    ExecutorService workers() {
        return workers;
    }

    Duration openTimeout() {
        return openTimeout;
    }

    EdgeProperties.Failover failover() {
        return failover;
    }

    Counter uploaded() {
        return uploaded;
    }

    Counter downloaded() {
        return downloaded;
    }

    AtomicLong held() {
        return held;
    }

    /** A channel carried over, after a pause of {@code millis}. */
    void failedOver(long millis) {
        failovers.record(millis, TimeUnit.MILLISECONDS);
    }
}
