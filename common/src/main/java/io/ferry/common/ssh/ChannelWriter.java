package io.ferry.common.ssh;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.RemoteWindow;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a channel's messages (SFTP's) to the channel's asynchronous stream packed into the channel's SSH packets, as
 * OpenSSH's channels do: a message follows the one before it in the same packet, is split only where a packet is
 * full, and a packet carries as much as is waiting. Nothing waits for a message that may follow: when the stream is
 * idle a message goes at once; while a packet is being written, what comes meanwhile is gathered into the next one.
 * Each packet is a packet buffer of the session's own, which the channel completes, encrypts where it is and sends
 * without a copy.
 * <p>
 * MINA's channel stream takes one write at a time and sends each write in packets of its own: a message larger than a
 * packet is copied whole once more and sent a packet at a time, and its last packet is often a small one. A 32 KiB
 * read's reply (32,781 bytes, against the 32,768-byte packets of OpenSSH's clients) went as a full packet and a
 * 13-byte one.
 * <p>
 * A message's callback runs once its last byte is written; the first failure runs {@code onError} once, and what
 * was waiting, or comes after it, is dropped ({@link #awaitBelow} tells a producer that may wait); a packet already
 * being written still runs its callbacks if it is written.
 */
public final class ChannelWriter {

    private static final Logger log = LoggerFactory.getLogger(ChannelWriter.class);

    /** The most one packet carries, whatever larger packets the peer allows. */
    public static final int MAX_PACKET = 64 * 1024;
    /** Where a channel data packet's data starts: the packet's header, the message code, the channel, the length. */
    private static final int DATA = SshConstants.SSH_PACKET_HEADER_LEN + 1 + Integer.BYTES + Integer.BYTES;

    private final LongSupplier packetSize;
    private final IntFunction<Buffer> newPacket;
    private final IoOutputStream out;
    private final Runnable onError;
    /** Messages and markers waiting, the first possibly partly written. */
    private final ArrayDeque<Message> queue = new ArrayDeque<>();
    /** The bytes of the queue's messages not yet in a packet. */
    private long queued;
    /** The bytes of the packet being written. */
    private int inFlight;
    private boolean writing;
    private boolean failed;

    /**
     * @param channel the channel whose packets are written (its session and the packet size its peer allows)
     * @param out     the channel's asynchronous stream of data (one write at a time)
     * @param onError runs once, on the first write that fails
     */
    public ChannelWriter(Channel channel, IoOutputStream out, Runnable onError) {
        this(() -> room(channel.getRemoteWindow()),
                size -> channel.getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_DATA, size), out, onError);
    }

    /**
     * The data the next packet may carry: the peer's maximum packet, or the window left when it is smaller (a packet
     * larger than the window would be copied by the channel and sent in parts); a closed window waits in the channel.
     */
    private static long room(RemoteWindow window) {
        long packet = window.getPacketSize();
        long left = window.getSize();
        return left > 0 ? Math.min(packet, left) : packet;
    }

    /**
     * @param packetSize the data the next packet may carry
     * @param newPacket  a new packet buffer for that much data and the message code, channel and length before it
     */
    ChannelWriter(LongSupplier packetSize, IntFunction<Buffer> newPacket, IoOutputStream out, Runnable onError) {
        this.packetSize = packetSize;
        this.newPacket = newPacket;
        this.out = out;
        this.onError = onError;
    }

    /**
     * Queues {@code message}'s bytes from its read position to its write position; the buffer is this writer's until
     * {@code written} runs. Dropped when the writer has failed.
     */
    public void write(Buffer message, Runnable written) {
        enqueue(new Message(message, written));
    }

    /** Runs {@code action} once everything queued so far is written (at once if it is). */
    public void then(Runnable action) {
        enqueue(new Message(null, action));
    }

    /** Queues a message or a marker, and starts writing unless a write is going on. */
    private void enqueue(Message message) {
        synchronized (this) {
            if (failed) {
                return;
            }
            queue.add(message);
            queued += message.data == null ? 0 : message.data.available();
            if (writing) {
                return;
            }
            writing = true;
        }
        next();
    }

    /**
     * Waits until fewer than {@code limit} bytes (or none) are queued or being written, at most {@code timeout}: the
     * writer's bound for a producer that may wait (a subsystem's own thread; never a session's I/O thread). Throws when
     * the writer has failed or the thread is interrupted, and when the time is up, which fails the writer.
     */
    public void awaitBelow(long limit, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long waiting = 0;
        synchronized (this) {
            while (!failed && queued + inFlight > 0 && queued + inFlight >= limit) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    waiting = queued + inFlight;
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted waiting for the peer to take its data");
                }
            }
            if (failed) {
                throw new EOFException("the channel's stream has failed");
            }
        }
        if (waiting > 0) {
            fail(); // as MINA's buffered stream does: the later writes fail at once, not after another wait each
            throw new IOException("the peer has not taken " + waiting + " bytes for " + timeout);
        }
    }

    /** Waits until everything queued is written or the writer has failed, at most {@code timeout}; whether it was. */
    public boolean awaitWritten(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (!failed && writing) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return !failed;
        }
    }

    /**
     * Writes the next packets: as much of the queue as one packet carries, running the markers it reaches first, until
     * a write is left in flight or nothing waits. A write that completes at once is followed here, not deeper in the
     * stack.
     */
    private void next() {
        while (true) {
            Buffer packet;
            List<Runnable> now = new ArrayList<>(0); // markers with nothing unwritten before them
            List<Runnable> done = new ArrayList<>(2);
            synchronized (this) {
                if (failed) {
                    return;
                }
                int size = (int) Math.min(queued, Math.max(1, Math.min(MAX_PACKET, packetSize.getAsLong())));
                packet = size == 0 ? null : newPacket.apply(size + 12);
                if (packet != null) {
                    packet.rpos(DATA);
                    packet.wpos(DATA);
                }
                while (!queue.isEmpty()) {
                    Message head = queue.peek();
                    if (head.data == null || head.data.available() == 0) { // a marker: once all before it is written
                        queue.poll();
                        (packet == null || packet.available() == 0 ? now : done).add(head.written);
                        continue;
                    }
                    if (packet == null || packet.available() == size) {
                        break;
                    }
                    int n = Math.min(head.data.available(), size - packet.available());
                    packet.putRawBytes(head.data.array(), head.data.rpos(), n);
                    head.data.rpos(head.data.rpos() + n);
                    queued -= n;
                    if (head.data.available() == 0) {
                        queue.poll();
                        done.add(head.written);
                    }
                }
                if (packet != null && packet.available() == 0) {
                    packet = null;
                }
                if (packet == null && now.isEmpty() && done.isEmpty()) {
                    writing = false;
                    notifyAll();
                    return;
                }
                inFlight = packet == null ? 0 : packet.available();
            }
            // still writing: what is queued meanwhile waits behind these markers
            run(now);
            if (packet == null) {
                run(done);
                continue;
            }
            IoWriteFuture future;
            try {
                future = out.writeBuffer(packet);
            } catch (IOException | RuntimeException e) {
                fail();
                return;
            }
            if (!future.isDone()) {
                future.addListener(f -> {
                    if (written(f, done)) {
                        next();
                    }
                });
                return;
            }
            if (!written(future, done)) {
                return;
            }
        }
    }

    /** A packet's write has completed; whether it was written (and its messages' callbacks have run). */
    private boolean written(IoWriteFuture future, List<Runnable> done) {
        if (!future.isWritten()) {
            fail();
            return false;
        }
        synchronized (this) {
            inFlight = 0;
            notifyAll();
        }
        run(done);
        return true;
    }

    /** Runs callbacks; one that throws is logged and does not stop the writer or the others. */
    private static void run(List<Runnable> callbacks) {
        for (Runnable callback : callbacks) {
            try {
                callback.run();
            } catch (RuntimeException e) {
                log.warn("An action after a channel's write failed", e);
            }
        }
    }

    private void fail() {
        synchronized (this) {
            if (failed) {
                return;
            }
            failed = true;
            queue.clear();
            queued = 0;
            inFlight = 0;
            writing = false;
            notifyAll();
        }
        onError.run();
    }

    /** A message's bytes and what runs once they are written; a marker has no bytes. */
    private record Message(Buffer data, Runnable written) {
    }
}
