package io.ferry.edge;

import static io.ferry.edge.SftpPackets.BODY;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelDataReceiver;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.AsyncCommand;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.common.ssh.ChannelWriter;

/**
 * One SFTP channel of a partner's session at the edge, relayed to an SFTP channel on the partner's file session on its
 * node, packet by packet, so that it can be carried over to another node when that one dies and the partner sees a
 * pause, not an error:
 * <ul>
 * <li>every request gets an id of the edge's own towards the node (the answer goes back under the partner's), and
 * every handle the partner holds keeps its value while the node's behind it changes;</li>
 * <li>an upload is made durable in steps: every {@code checkpoint-bytes} the edge asks the node for
 * {@code fsync@openssh.com}, and keeps in memory only what it sent since the last one the node answered (at most
 * {@code max-held-bytes}: beyond it the partner's window stays closed until the node answers);</li>
 * <li>when the node's session dies, the partner's waits while {@link NodeLink#failover} opens it on another node;
 * then the channel is opened there, every file and directory the partner holds open is opened again (an upload
 * continues from what the node kept, {@code pending-upload@ferry.io}, and what the edge holds from there is sent
 * again), and every request the dead node did not answer is sent again where that is safe (reads, writes, listings,
 * attributes, opens without {@code EXCL}) or answered with a failure where it is not (removes, renames, new
 * directories: they may or may not have happened).</li>
 * </ul>
 * What the partner sends meanwhile waits, its window closed. The windows both ways throttle each other, as when bytes
 * were relayed untouched, and no thread blocks on the partner's or the node's I/O. A session that does not speak
 * SFTP version 3 is relayed the same way but not carried over.
 */
final class SftpChannelRelay implements AsyncCommand {

    private static final Logger log = LoggerFactory.getLogger(SftpChannelRelay.class);
    /** The largest packet either side may send (MINA's own limit; OpenSSH's is 256 KiB). */
    static final int MAX_PACKET = 1024 * 1024 + 1024;
    /** Names of one listing the edge remembers, to leave out of it after a failover what the partner has. */
    private static final int MAX_LISTED = 100_000;
    /**
     * Requests a channel may have waiting for the node's answer (OpenSSH's sftp keeps 64): beyond it the partner's
     * window stays closed, so that tiny requests cannot make the edge keep a mountain of them.
     */
    private static final int MAX_PENDING = 4096;
    /** How long one request of a failover (the channel's handshake, an open) may take. */
    private static final long CALL_SECONDS = 30;
    private static final byte[] FSYNC = "fsync@openssh.com".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    /** Extended requests that change nothing, sent again after a failover; others are answered with a failure. */
    private static final Set<String> SAFE_EXTENDED = Set.of("statvfs@openssh.com", "fstatvfs@openssh.com",
            "limits@openssh.com", "expand-path@openssh.com", "home-directory", "fsync@openssh.com");
    /** Extended requests whose first field after the name is a handle. */
    private static final Set<String> HANDLE_EXTENDED = Set.of("fstatvfs@openssh.com", "fsync@openssh.com");

    private final SftpRelay relay;
    private final ChannelSession partnerChannel;
    private IoOutputStream partnerOut;
    private ExitCallback exit;
    private volatile ChannelWriter toPartner;
    private final AtomicBoolean ended = new AtomicBoolean();
    private NodeLink link;

    // all below guarded by this
    private final SftpPackets.Framer fromPartner = new SftpPackets.Framer(MAX_PACKET);
    /** The node's channel requests go to; null while none is open (the first, or during a failover). */
    private NodeSide node;
    /** The node's channel whose answers are read: {@link #node}, or the one a failover is setting up. */
    private NodeSide reading;
    private final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
    private long waitingWindow;
    private boolean partnerDone;
    private byte[] init;
    private int version = -1;
    private int nextId = 1;
    private final Map<Integer, Pending> pending = new HashMap<>();
    /** The partner's open handles (their value as the partner knows it), in the order they were opened. */
    private final Map<String, Handle> handles = new LinkedHashMap<>();
    /** Bytes of uploads this channel holds for a failover; beyond the limit the partner's window stays closed. */
    private long held;
    private long withheld;
    /** A failover is under way: what the partner sends waits until the node has what it lost. */
    private boolean recovering;

    SftpChannelRelay(SftpRelay relay, ChannelSession partnerChannel) {
        this.relay = relay;
        this.partnerChannel = partnerChannel;
        partnerChannel.setDataReceiver(new ChannelDataReceiver() {
            @Override
            public int data(ChannelSession ch, byte[] buf, int start, int len) {
                relay.uploaded().increment(len);
                fromPartner(buf, start, len);
                return 0; // the window reopens once the node's channel took the bytes
            }

            @Override
            public void close() {
                // the partner is done sending (EOF or close): the node's channel closes after what is queued
                synchronized (SftpChannelRelay.this) {
                    partnerDone = true;
                    if (node != null) {
                        NodeSide open = node;
                        open.writer.then(() -> open.channel.close(false));
                    }
                }
            }
        });
    }

    /** A request sent to the node, waiting for its answer. */
    private static final class Pending {
        final int partnerId;
        final int type;
        byte[] packet;
        Handle handle;
        /** The open's path and flags. */
        byte[] path;
        int pflags;
        String extension;
        Journal.Entry entry;
        /** An answer the edge waits for itself (a checkpoint, a failover's request), not the partner. */
        CompletableFuture<byte[]> internal;

        Pending(int partnerId, int type, byte[] packet) {
            this.partnerId = partnerId;
            this.type = type;
            this.packet = packet;
        }
    }

    /** A file or directory the partner holds open. */
    private static final class Handle {
        final byte[] partnerHandle;
        byte[] nodeHandle;
        final byte[] path;
        final int pflags;
        final boolean directory;
        /** An upload: what the edge holds since its last durable point. */
        final Journal journal;
        /** Why it cannot be carried over to another node, or null. */
        String unrecoverable;
        /** Why it was lost in a failover (requests on it are answered with a failure), or null. */
        String lost;
        long sinceCheckpoint;
        boolean checkpointing;
        /** A listing's names the partner has, left out after a failover. */
        Set<String> listed;
        boolean filterListing;

        Handle(byte[] handle, byte[] path, int pflags, boolean directory, boolean failoverOn) {
            this.partnerHandle = handle;
            this.nodeHandle = handle;
            this.path = path;
            this.pflags = pflags;
            this.directory = directory;
            this.journal = !directory && (pflags & SftpPackets.PF_WRITE) != 0 ? new Journal() : null;
            this.listed = directory && failoverOn ? new HashSet<>() : null;
            if (!failoverOn) {
                unrecoverable = "failover is off"; // nothing held, no checkpoint asked for
            } else if ((pflags & SftpPackets.PF_APPEND) != 0) {
                unrecoverable = "opened to append"; // where its writes land is the node's to say
            }
        }

        boolean upload() {
            return journal != null;
        }
    }

    /** The node's end of the relay: its channel, its writer, and what it sent that is not a whole packet yet. */
    private final class NodeSide {
        final ClientSession session;
        final NodeChannel channel;
        ChannelWriter writer;
        // the node's packets are allocated whole: it is trusted, and its 256 KiB answers are not grown into
        final SftpPackets.Framer framer = new SftpPackets.Framer(MAX_PACKET, MAX_PACKET);
        CompletableFuture<byte[]> version;
        /** The partner's window this channel's writer owes: released as it writes, or all at once if it dies. */
        long owed;
        boolean abandoned;
        /** A write to the node failed: its channel was closed for that, not by the node. */
        volatile boolean broken;

        NodeSide(ClientSession session) {
            this.session = session;
            this.channel = new NodeChannel(this);
        }
    }

    // ----- the partner's side

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
        toPartner = new ChannelWriter(partnerChannel, partnerOut, () -> end(1));
        relay.workers().execute(() -> {
            try {
                link = relay.link(session);
                ClientSession nodeSession = link.session();
                NodeSide side;
                try {
                    side = open(nodeSession);
                } catch (IOException e) {
                    if (nodeSession.isOpen() || !link.canFailOver()) {
                        throw e;
                    }
                    side = open(link.failover(nodeSession)); // the node died between two channels
                }
                synchronized (this) {
                    node = side;
                    drainWaiting();
                    if (partnerDone) {
                        NodeSide open = side;
                        side.writer.then(() -> open.channel.close(false));
                    }
                }
            } catch (IOException | RuntimeException e) {
                relay.withMdc(session, () -> log.warn("Relaying SFTP for {} from {} failed: {}",
                        LogText.quoted(session.getUsername()), session.getAttribute(EdgeSftpServer.ADDRESS),
                        e.toString()));
                end(1);
            }
        });
    }

    /** Opens the SFTP channel on the node's session; its answers are read from then on. */
    private NodeSide open(ClientSession nodeSession) throws IOException {
        NodeSide side = new NodeSide(nodeSession);
        synchronized (this) {
            reading = side;
        }
        nodeSession.getService(ConnectionService.class).registerChannel(side.channel);
        side.channel.setStreaming(ClientChannel.Streaming.Async);
        side.channel.addCloseFutureListener(f -> nodeClosed(side));
        side.channel.open().verify(relay.openTimeout());
        if (!partnerChannel.isOpen() || ended.get()) {
            side.channel.close(true); // the partner left while the node's channel opened
            throw new IOException("the partner's channel closed");
        }
        side.writer = new ChannelWriter(side.channel, side.channel.getAsyncIn(), () -> {
            side.broken = true; // the node's end is gone, though its session may not know yet
            side.channel.close(true);
        });
        return side;
    }

    private void fromPartner(byte[] buf, int start, int len) {
        synchronized (this) {
            List<byte[]> packets;
            try {
                packets = fromPartner.feed(buf, start, len);
            } catch (IOException e) {
                log.info("Closing an SFTP channel of {}: {}", LogText.quoted(partnerChannel.getSession().getUsername()),
                        e.getMessage());
                partnerChannel.close(true);
                return;
            }
            if (node == null || recovering) {
                waiting.addAll(packets);
                waitingWindow += len;
                return;
            }
            for (byte[] packet : packets) {
                if (node == null || recovering) {
                    waiting.add(packet); // the node died while this chunk was sent (a failed write closes it at once)
                } else {
                    request(packet);
                }
            }
            if (node == null || recovering) {
                waitingWindow += len;
            } else {
                owe(node, len);
            }
        }
    }

    /** The partner's window for {@code len} bytes reopens once {@code side} wrote them (or died with them). */
    private void owe(NodeSide side, long len) {
        side.owed += len;
        side.writer.then(() -> {
            synchronized (this) {
                if (side.abandoned) {
                    return; // the failover gave it back
                }
                side.owed -= len;
            }
            releasePartner(len);
        });
    }

    /** What a dead channel's writer owed the partner: given back by the failover, or nothing would ever. */
    private long abandon(NodeSide side) {
        side.abandoned = true;
        long owed = side.owed;
        side.owed = 0;
        return owed;
    }

    /** What waited for the node's channel, sent now, in order. */
    private void drainWaiting() {
        while (!waiting.isEmpty() && node != null) {
            request(waiting.poll());
        }
        long window = waitingWindow;
        if (window > 0 && node != null) {
            waitingWindow = 0;
            owe(node, window);
        }
    }

    private void releasePartner(long len) {
        synchronized (this) {
            if (held > relay.failover().maxHeldBytes() || pending.size() > MAX_PENDING) {
                withheld += len; // the node has not made enough durable: the partner waits
                return;
            }
        }
        release(partnerChannel, len);
    }

    private void releaseWithheld() {
        long len;
        synchronized (this) {
            if (withheld == 0 || held > relay.failover().maxHeldBytes() || pending.size() > MAX_PENDING) {
                return;
            }
            len = withheld;
            withheld = 0;
        }
        release(partnerChannel, len);
    }

    private static void release(org.apache.sshd.common.channel.Channel channel, long len) {
        try {
            channel.getLocalWindow().release(len);
        } catch (IOException e) {
            channel.close(true);
        }
    }

    /** A partner's request: given an id of the edge's own, its handle translated, and sent to the node. */
    private void request(byte[] packet) {
        int type = SftpPackets.type(packet);
        if (type == SftpPackets.INIT) {
            init = packet;
            if (node != null) {
                node.writer.write(new ByteArrayBuffer(packet), () -> { });
            }
            return;
        }
        try {
            if (packet.length < BODY) {
                throw new IOException("SFTP request too short");
            }
            Pending request = new Pending(SftpPackets.id(packet), type, packet);
            describe(request);
            if (request.extension != null && request.extension.endsWith("@ferry.io")) {
                // the edge's own questions to the node: never a partner's
                answerPartner(SftpPackets.status(request.partnerId, SftpPackets.FX_OP_UNSUPPORTED,
                        "unsupported extension"));
                return;
            }
            send(request, null);
        } catch (IOException | RuntimeException e) {
            log.info("Closing an SFTP channel of {}: {}", LogText.quoted(partnerChannel.getSession().getUsername()),
                    e.getMessage());
            partnerChannel.close(true);
        }
    }

    /** Reads what the relay needs of a request: its handle, the path and flags of an open, an extension's name. */
    private void describe(Pending request) throws IOException {
        byte[] packet = request.packet;
        switch (request.type) {
            case SftpPackets.OPEN -> {
                request.path = SftpPackets.string(packet, BODY);
                request.pflags = SftpPackets.intAt(packet, SftpPackets.after(packet, BODY));
            }
            case SftpPackets.OPENDIR -> request.path = SftpPackets.string(packet, BODY);
            case SftpPackets.CLOSE, SftpPackets.READ, SftpPackets.WRITE, SftpPackets.FSTAT, SftpPackets.FSETSTAT,
                    SftpPackets.READDIR -> request.handle = handles.get(key(SftpPackets.string(packet, BODY)));
            case SftpPackets.EXTENDED -> {
                request.extension = SftpPackets.text(SftpPackets.string(packet, BODY));
                if (HANDLE_EXTENDED.contains(request.extension)) {
                    request.handle = handles.get(key(SftpPackets.string(packet, SftpPackets.after(packet, BODY))));
                }
            }
            default -> {
                // a path's request: nothing the relay keeps
            }
        }
        if (request.type == SftpPackets.WRITE && request.handle != null && request.handle.upload()) {
            journal(request);
        }
    }

    /** Sends a request under a new id of the edge's, with the handle the node knows now. */
    private void send(Pending request, CompletableFuture<byte[]> internal) throws IOException {
        request.internal = internal;
        if (request.handle != null && request.handle.nodeHandle != request.handle.partnerHandle) {
            request.packet = SftpPackets.replaceString(request.packet, handleAt(request), request.handle.nodeHandle);
        }
        int id = nextId++;
        SftpPackets.setId(request.packet, id);
        pending.put(id, request);
        if (node == null) {
            return; // the node died meanwhile: the failover sends it again with the rest it did not answer
        }
        node.writer.write(new ByteArrayBuffer(request.packet), () -> { });
        Handle handle = request.handle;
        if (request.type == SftpPackets.WRITE && handle != null && handle.upload()) {
            checkpointIfDue(handle);
        }
    }

    /**
     * A checkpoint once {@code checkpoint-bytes} were sent since the last, or when the edge holds its most (the
     * partner then waits for it: without one, nothing would ever let it go on).
     */
    private void checkpointIfDue(Handle handle) throws IOException {
        if (handle.unrecoverable == null && !handle.checkpointing && handle.journal.bytes > 0
                && (handle.sinceCheckpoint >= relay.failover().checkpointBytes()
                        || held > relay.failover().maxHeldBytes())) {
            checkpoint(handle);
        }
    }

    private static int handleAt(Pending request) throws IOException {
        return request.type == SftpPackets.EXTENDED ? SftpPackets.after(request.packet, BODY) : BODY;
    }

    private static String key(byte[] handle) {
        return new String(handle, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    // ----- uploads: the journal and its checkpoints

    /** An upload's bytes sent since its last durable point, in order. */
    private static final class Journal {
        /** One write: its offset, and its data within the partner's packet. */
        static final class Entry {
            final int seq;
            final long offset;
            final byte[] packet;
            final int dataAt;
            final int length;
            /** The partner's request while its answer has not come. */
            Pending request;

            Entry(int seq, long offset, byte[] packet, int dataAt, int length) {
                this.seq = seq;
                this.offset = offset;
                this.packet = packet;
                this.dataAt = dataAt;
                this.length = length;
            }

            long end() {
                return offset + length;
            }
        }

        final ArrayDeque<Entry> entries = new ArrayDeque<>();
        /** Where the next write must start for the upload to stay in order (-1: no write yet). */
        long end = -1;
        long bytes;

        /** The first byte held, or the end when nothing is. */
        long start() {
            return entries.isEmpty() ? end : entries.peekFirst().offset;
        }
    }

    private void journal(Pending write) throws IOException {
        Handle handle = write.handle;
        if (handle.unrecoverable != null) {
            return;
        }
        byte[] packet = write.packet;
        int at = SftpPackets.after(packet, BODY);
        long offset = SftpPackets.longAt(packet, at);
        int length = SftpPackets.stringLength(packet, at + 8);
        // bytes after the data are allowed (OpenSSH's server skips them; some clients send them): what the edge holds,
        // the whole packet, is what counts against its bound
        Journal journal = handle.journal;
        if (journal.end >= 0 && offset != journal.end) {
            unrecoverable(handle, "written out of order");
            return;
        }
        // the data stays where it is: the packet is only rewritten in its id and, same length, its handle
        Journal.Entry entry = new Journal.Entry(nextId, offset, packet, at + 12, length);
        entry.request = write;
        write.entry = entry;
        journal.entries.add(entry);
        journal.end = offset + length;
        journal.bytes += packet.length;
        held += packet.length;
        relay.held().addAndGet(packet.length);
        handle.sinceCheckpoint += packet.length;
    }

    /** A handle a failover could not carry over: requests on it fail, and the edge holds nothing of it. */
    private void lose(Handle handle, String why) {
        handle.lost = why;
        if (handle.journal != null) {
            forget(handle.journal);
        }
    }

    private void unrecoverable(Handle handle, String why) {
        handle.unrecoverable = why;
        if (handle.journal != null) {
            forget(handle.journal);
        }
    }

    private void forget(Journal journal) {
        held -= journal.bytes;
        relay.held().addAndGet(-journal.bytes);
        journal.bytes = 0;
        journal.entries.clear();
    }

    /** Asks the node to make the upload durable so far; its answer lets the edge forget what it held until now. */
    private void checkpoint(Handle handle) throws IOException {
        handle.checkpointing = true;
        handle.sinceCheckpoint = 0;
        int through = nextId; // every write sent so far is older
        Pending fsync = new Pending(-1, SftpPackets.EXTENDED,
                new SftpPackets.Builder(SftpPackets.EXTENDED, 0).putString(FSYNC).putString(handle.nodeHandle).build());
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        answer.thenAccept(reply -> checkpointed(handle, through, reply)); // a failover drops it and starts anew
        fsync.handle = null; // already the node's handle
        send(fsync, answer);
    }

    private void checkpointed(Handle handle, int through, byte[] reply) {
        synchronized (this) {
            handle.checkpointing = false;
            if (SftpPackets.statusCode(reply) != SftpPackets.FX_OK) {
                unrecoverable(handle, "the node could not make it durable");
            } else if (handle.unrecoverable == null) {
                Journal journal = handle.journal;
                while (!journal.entries.isEmpty() && journal.entries.peekFirst().seq < through) {
                    Journal.Entry durable = journal.entries.pollFirst();
                    journal.bytes -= durable.packet.length;
                    held -= durable.packet.length;
                    relay.held().addAndGet(-durable.packet.length);
                    if (durable.request != null) {
                        durable.request.entry = null; // answered or not, its bytes are durable
                    }
                }
                try {
                    checkpointIfDue(handle); // still holding the most: the partner waits for the next one
                } catch (IOException e) {
                    unrecoverable(handle, "a checkpoint could not be asked for");
                }
            }
        }
        releaseWithheld();
    }

    // ----- the node's side

    /** The node's answers: back to the partner under its own id, or to the edge's own request. */
    private void fromNode(NodeSide side, byte[] data, int off, int len) {
        List<Runnable> internal = new ArrayList<>(0);
        boolean forwarded = false;
        synchronized (this) {
            if (side != reading) {
                releaseNode(side, len); // a channel the relay left: what it still says is not read
                return;
            }
            List<byte[]> packets;
            try {
                packets = side.framer.feed(data, off, len);
            } catch (IOException e) {
                log.warn("The node sent a malformed SFTP packet: {}", e.getMessage());
                side.channel.close(true);
                return;
            }
            try {
                for (byte[] reply : packets) {
                    forwarded |= answer(side, reply, internal);
                }
            } catch (RuntimeException e) {
                log.warn("The node sent an SFTP answer the edge cannot read: {}", e.toString());
                side.channel.close(true);
            }
            if (forwarded) {
                toPartner.then(() -> releaseNode(side, len));
            }
        }
        if (!forwarded) {
            releaseNode(side, len);
        }
        internal.forEach(Runnable::run);
        releaseWithheld(); // answers may have brought the requests waiting below the limit
    }

    private static void releaseNode(NodeSide side, long len) {
        release(side.channel, len);
    }

    /** One answer of the node; true when it goes on to the partner. */
    private boolean answer(NodeSide side, byte[] reply, List<Runnable> internal) {
        if (SftpPackets.type(reply) == SftpPackets.VERSION) {
            if (side.version != null) {
                CompletableFuture<byte[]> done = side.version;
                internal.add(() -> done.complete(reply));
                return false;
            }
            version = reply.length >= BODY ? SftpPackets.readInt(reply, 5) : -1;
            toPartner.write(new ByteArrayBuffer(reply), () -> { });
            return true;
        }
        if (reply.length < BODY) {
            return false;
        }
        Pending request = pending.remove(SftpPackets.id(reply));
        if (request == null) {
            return false; // not an id the edge gave (or of a request a failover answered itself)
        }
        if (request.internal != null) {
            CompletableFuture<byte[]> done = request.internal;
            internal.add(() -> done.complete(reply));
            return false;
        }
        byte[] out = reply;
        try {
            out = answered(request, reply);
        } catch (IOException e) {
            log.warn("The node's answer to an SFTP request is malformed: {}", e.getMessage());
        }
        if (out == null) {
            return false;
        }
        SftpPackets.setId(out, request.partnerId);
        toPartner.write(new ByteArrayBuffer(out), () -> { });
        return true;
    }

    /** What the relay learns from an answer; the answer to give the partner, or null when there is none yet. */
    private byte[] answered(Pending request, byte[] reply) throws IOException {
        int type = SftpPackets.type(reply);
        switch (request.type) {
            case SftpPackets.OPEN, SftpPackets.OPENDIR -> {
                if (type == SftpPackets.HANDLE) {
                    byte[] handle = SftpPackets.string(reply, BODY);
                    handles.put(key(handle), new Handle(handle, request.path, request.pflags,
                            request.type == SftpPackets.OPENDIR, relay.failover().enabled()));
                }
            }
            case SftpPackets.CLOSE -> closed(request.handle);
            case SftpPackets.WRITE -> {
                if (request.entry != null) {
                    request.entry.request = null;
                }
            }
            case SftpPackets.READDIR -> {
                Handle dir = request.handle;
                if (type == SftpPackets.NAME && dir != null && dir.listed != null) {
                    return listed(request, dir, reply);
                }
            }
            default -> {
                // passed on as it is
            }
        }
        return reply;
    }

    private void closed(Handle handle) {
        if (handle == null) {
            return;
        }
        handles.remove(key(handle.partnerHandle));
        if (handle.journal != null) {
            forget(handle.journal);
            relay.workers().execute(this::releaseWithheld);
        }
    }

    /**
     * A listing's names: remembered (up to {@link #MAX_LISTED}), and after a failover, those the partner has are
     * left out; a part left empty is asked for again.
     */
    private byte[] listed(Pending request, Handle dir, byte[] reply) throws IOException {
        List<SftpPackets.Entry> entries = SftpPackets.entries(reply);
        List<SftpPackets.Entry> kept = entries;
        if (dir.filterListing) {
            kept = entries.stream().filter(e -> !dir.listed.contains(e.name())).toList();
            if (kept.isEmpty() && !entries.isEmpty()) {
                Pending again = new Pending(request.partnerId, SftpPackets.READDIR, request.packet);
                again.handle = dir;
                send(again, null);
                return null;
            }
        }
        if (dir.listed.size() + kept.size() > MAX_LISTED) {
            dir.listed = null; // too long to remember: not carried over
            dir.unrecoverable = "a listing too long to resume";
        } else {
            kept.forEach(e -> dir.listed.add(e.name()));
        }
        return kept == entries ? reply : SftpPackets.nameWith(reply, kept);
    }

    /** The node's channel closed: the partner's ends with it, or the session is carried over to another node. */
    private void nodeClosed(NodeSide side) {
        synchronized (this) {
            if (side != reading) {
                return;
            }
        }
        boolean nodeDied = side.broken || !side.session.isOpen() || side.session.isClosing();
        if (ended.get() || !partnerChannel.isOpen() || partnerDone || !nodeDied || link == null || link.closed()
                || !link.canFailOver() || version != 3 || init == null) {
            // the partner hears the end only after every answer the node sent is written to it
            toPartner.then(() -> end(side.channel.getExitStatus() == null ? 0 : side.channel.getExitStatus()));
            return;
        }
        synchronized (this) {
            node = null; // what the partner sends now waits
            reading = null;
            recovering = true;
            waitingWindow += abandon(side); // reopened as what waits is sent to the next node
        }
        relay.workers().execute(() -> failover(side));
    }

    // ----- the failover

    private void failover(NodeSide dead) {
        ServerSession session = partnerChannel.getServerSession();
        long started = System.nanoTime();
        try {
            ClientSession moved = link.failover(dead.session);
            long linked = System.nanoTime();
            NodeSide fresh = open(moved);
            handshake(fresh);
            long opened = System.nanoTime();
            List<Handle> open;
            List<Pending> lost;
            synchronized (this) {
                open = new ArrayList<>(handles.values());
                lost = new ArrayList<>(pending.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(Map.Entry::getValue).toList());
                pending.clear();
                node = fresh; // the failover's own requests go to it; the partner's still wait
            }
            lost.stream().filter(p -> p.internal != null)
                    .forEach(p -> p.internal.completeExceptionally(new IOException("the node died")));
            Set<Handle> closing = new HashSet<>();
            lost.stream().filter(p -> p.type == SftpPackets.CLOSE && p.handle != null)
                    .forEach(p -> closing.add(p.handle));
            Map<Handle, Long> resumedAt = new HashMap<>();
            for (Handle handle : open) {
                reopen(fresh, handle, closing.contains(handle), resumedAt);
            }
            synchronized (this) {
                handles.values().forEach(h -> h.checkpointing = false); // the dead node's were not answered
                replay(lost, resumedAt, closing);
                recovering = false;
                drainWaiting();
                if (partnerDone) {
                    fresh.writer.then(() -> fresh.channel.close(false));
                }
            }
            long done = System.nanoTime();
            relay.failedOver((done - started) / 1_000_000);
            relay.withMdc(session, () -> log.info("SFTP channel of {} carried over to node {} in {} ms (session {} ms, "
                    + "channel {} ms, files {} ms): {} open handle(s), {} request(s) in flight",
                    LogText.quoted(session.getUsername()), link.backend().name(), (done - started) / 1_000_000,
                    (linked - started) / 1_000_000, (opened - linked) / 1_000_000, (done - opened) / 1_000_000,
                    open.size(), lost.size()));
        } catch (IOException | RuntimeException e) {
            if (link.closed() || !session.isOpen()) {
                end(0); // the partner left meanwhile
                return;
            }
            relay.withMdc(session, () -> log.warn("The SFTP channel of {} could not be carried over to another "
                    + "node: {}", LogText.quoted(session.getUsername()), e.getMessage()));
            end(1);
            session.close(false);
        }
    }

    /** The new channel's INIT and VERSION: the same version as the partner's, or the failover fails. */
    private void handshake(NodeSide fresh) throws IOException {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        synchronized (this) {
            fresh.version = answer;
        }
        fresh.writer.write(new ByteArrayBuffer(init.clone()), () -> { });
        byte[] reply = await(answer);
        if (reply.length < BODY || SftpPackets.readInt(reply, 5) != version) {
            throw new IOException("the node offers another SFTP version");
        }
    }

    /** A request of the failover's own on the new channel, and its answer. */
    private byte[] call(byte[] packet) throws IOException {
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        synchronized (this) {
            send(new Pending(-1, SftpPackets.type(packet), packet), answer);
        }
        return await(answer);
    }

    private static byte[] await(CompletableFuture<byte[]> answer) throws IOException {
        try {
            return answer.get(CALL_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the new node did not answer: " + e, e);
        }
    }

    /**
     * Opens a handle again on the new node: a download or a listing as it was; an upload where the node kept it
     * ({@code pending-upload@ferry.io}), which must be within what the edge holds. A handle whose close was pending
     * is not opened again (an upload's close is sent again, unless the dead node had completed it).
     */
    private void reopen(NodeSide fresh, Handle handle, boolean closing, Map<Handle, Long> resumedAt)
            throws IOException {
        if (handle.unrecoverable != null) {
            lose(handle, handle.unrecoverable);
            return;
        }
        if (!handle.upload()) {
            if (closing) {
                return;
            }
            byte[] reply = call(handle.directory
                    ? new SftpPackets.Builder(SftpPackets.OPENDIR, 0).putString(handle.path).build()
                    : new SftpPackets.Builder(SftpPackets.OPEN, 0).putString(handle.path).putInt(SftpPackets.PF_READ)
                            .putInt(0).build());
            adopt(handle, reply);
            handle.filterListing = handle.directory;
            return;
        }
        byte[] state = call(new SftpPackets.Builder(SftpPackets.EXTENDED, 0).putString(UploadResume.PENDING_UPLOAD)
                .putString(handle.path).build());
        Journal journal = handle.journal;
        long heldFrom = journal.end < 0 ? 0 : journal.start();
        long held = SftpPackets.type(state) == SftpPackets.EXTENDED_REPLY ? SftpPackets.readLong(state, BODY) : -1;
        if (held < 0) {
            if (closing) {
                // no upload left: the dead node may have completed the close, or not; the partner checks (a file of
                // the same size proves nothing)
                lose(handle, "the node that died was completing the upload: it may or may not be published; check "
                        + "the file");
                return;
            }
            if (!UploadResume.fromNothing(heldFrom)) {
                lose(handle, "the node that died kept no part of the upload");
                return;
            }
            held = 0; // the edge holds all of it: it starts again from nothing
        }
        int pflags = SftpPackets.PF_WRITE | SftpPackets.PF_CREAT | (handle.pflags & SftpPackets.PF_READ)
                | (UploadResume.fromNothing(held) ? SftpPackets.PF_TRUNC : 0);
        adopt(handle, call(new SftpPackets.Builder(SftpPackets.OPEN, 0).putString(handle.path).putInt(pflags)
                .putInt(0).build()));
        if (handle.lost != null) {
            return;
        }
        // what the node continues from, its last segments checked (the extension's size is not)
        long kept = held == 0 ? 0 : SftpPackets.attrsSize(call(new SftpPackets.Builder(SftpPackets.FSTAT, 0)
                .putString(handle.nodeHandle).build()));
        String refusal = journal.end < 0 ? null : UploadResume.refusal(kept, heldFrom, journal.end);
        if (kept < 0 || refusal != null) {
            // its handle stays open, never closed (a close would publish it): the session's end abandons it
            lose(handle, refusal != null ? refusal : "the new node would not say what it kept");
            return;
        }
        // an upload opened afresh holds only what this handle wrote, in order: what the node kept is whole. Another
        // (continuing a part, or a copy of the file) may hold older bytes past what the edge sent: all it holds is
        // sent again (a rewrite of bytes already there is harmless)
        resumedAt.put(handle, (handle.pflags & SftpPackets.PF_TRUNC) != 0 ? kept : heldFrom);
    }

    private void adopt(Handle handle, byte[] reply) throws IOException {
        if (SftpPackets.type(reply) != SftpPackets.HANDLE) {
            lose(handle, "the new node would not open it again");
            return;
        }
        handle.nodeHandle = SftpPackets.string(reply, BODY);
    }

    /**
     * The requests the dead node did not answer: an upload's bytes from where the new node resumed it, then the rest
     * sent again where that is safe, or answered here.
     */
    private void replay(List<Pending> lost, Map<Handle, Long> resumedAt, Set<Handle> closing) throws IOException {
        for (Map.Entry<Handle, Long> resumed : resumedAt.entrySet()) {
            Handle handle = resumed.getKey();
            long from = resumed.getValue();
            for (Journal.Entry entry : handle.journal.entries) {
                if (entry.end() <= from) {
                    if (entry.request != null) {
                        answerPartner(SftpPackets.status(entry.request.partnerId, SftpPackets.FX_OK, ""));
                        entry.request = null;
                    }
                    continue;
                }
                long offset = Math.max(entry.offset, from);
                int skip = (int) (offset - entry.offset);
                Pending write = new Pending(entry.request == null ? -1 : entry.request.partnerId, SftpPackets.WRITE,
                        new SftpPackets.Builder(SftpPackets.WRITE, 0).putString(handle.nodeHandle).putLong(offset)
                                .putString(entry.packet, entry.dataAt + skip, entry.length - skip).build());
                write.entry = entry;
                write.handle = handle; // another failover while it is in flight sends it again from the journal
                send(write, entry.request == null ? new CompletableFuture<>() : null);
            }
            handle.sinceCheckpoint = handle.journal.end - from;
            checkpoint(handle); // what the new node took is made durable at once, so the edge holds no more of it
        }
        for (Pending request : lost) {
            if (request.internal != null || request.type == SftpPackets.WRITE && request.entry != null
                    && request.handle != null && request.handle.lost == null) {
                continue; // the edge's own, or sent again with its upload's bytes above
            }
            Handle handle = request.handle;
            if (request.type == SftpPackets.CLOSE && handle != null) {
                if (!handle.upload()) {
                    closed(handle);
                    answerPartner(SftpPackets.status(request.partnerId, SftpPackets.FX_OK, ""));
                    continue;
                }
            }
            if (handle != null && handle.lost != null) {
                if (request.type == SftpPackets.CLOSE) {
                    closed(handle);
                }
                answerPartner(SftpPackets.status(request.partnerId, SftpPackets.FX_FAILURE,
                        "the node serving this session failed and the file could not be carried over: " + handle.lost));
                continue;
            }
            if (request.type == SftpPackets.WRITE && handle != null && handle.upload() && request.entry == null) {
                // a write whose bytes a checkpoint made durable before its answer came
                answerPartner(SftpPackets.status(request.partnerId, SftpPackets.FX_OK, ""));
                continue;
            }
            if (safeAgain(request)) {
                send(request, null); // with the handle the new node gave
            } else {
                answerPartner(SftpPackets.status(request.partnerId, SftpPackets.FX_FAILURE,
                        "the node serving this session failed during this request: it may or may not have been done;"
                                + " check and try again"));
            }
        }
        for (Handle handle : handles.values()) {
            if (handle.lost != null && !closing.contains(handle)) {
                relay.withMdc(partnerChannel.getServerSession(), () -> log.warn("{} could not be carried over: {}",
                        LogText.escaped(SftpPackets.text(handle.path)), handle.lost));
            }
        }
    }

    /** Whether a request the dead node did not answer may be sent again: it changes nothing, or the same again. */
    private static boolean safeAgain(Pending request) {
        return switch (request.type) {
            case SftpPackets.OPEN -> (request.pflags & SftpPackets.PF_EXCL) == 0;
            case SftpPackets.CLOSE, SftpPackets.READ, SftpPackets.WRITE, SftpPackets.FSTAT, SftpPackets.FSETSTAT,
                    SftpPackets.READDIR, SftpPackets.OPENDIR, SftpPackets.STAT, SftpPackets.LSTAT,
                    SftpPackets.SETSTAT, SftpPackets.REALPATH, SftpPackets.READLINK -> true;
            case SftpPackets.EXTENDED -> SAFE_EXTENDED.contains(request.extension);
            default -> false;
        };
    }

    private void answerPartner(byte[] reply) {
        toPartner.write(new ByteArrayBuffer(reply), () -> { });
    }

    private void end(int status) {
        if (ended.compareAndSet(false, true)) {
            synchronized (this) {
                for (Handle handle : handles.values()) {
                    if (handle.journal != null) {
                        forget(handle.journal);
                    }
                }
            }
            exit.onExit(status);
        }
    }

    @Override
    public void destroy(ChannelSession channel) {
        NodeSide open;
        synchronized (this) {
            open = reading;
            reading = null;
            node = null;
            handles.values().stream().filter(Handle::upload).forEach(h -> forget(h.journal));
        }
        if (open != null) {
            open.channel.close(false);
        }
    }

    /** The node's side of a relay: what the node sends goes to the relay as it arrives. */
    private final class NodeChannel extends ChannelSubsystem {
        private final NodeSide side;

        NodeChannel(NodeSide side) {
            super("sftp");
            this.side = side;
        }

        @Override
        protected void doWriteData(byte[] data, int off, long len) {
            relay.downloaded().increment(len);
            fromNode(side, data, off, (int) len);
        }

        @Override
        protected void doWriteExtendedData(byte[] data, int off, long len) throws IOException {
            getLocalWindow().release(len); // an SFTP server's error stream: nothing a partner needs
        }
    }

}
