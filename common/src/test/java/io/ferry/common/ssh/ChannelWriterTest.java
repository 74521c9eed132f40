package io.ferry.common.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.IoWriteFutureImpl;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.session.helpers.PacketBuffer;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.closeable.AbstractCloseable;
import org.junit.jupiter.api.Test;

/**
 * {@link ChannelWriter} over a stream that takes one write at a time and completes it when the test says, as a
 * channel's stream does when the network does: what each packet carries, and when callbacks run.
 */
class ChannelWriterTest {

    /** A 32 KiB read's reply: the 13 bytes of length, type, id and data length, and the data. */
    private static final int REPLY = 32 * 1024 + 13;
    private static final int PACKET = 32 * 1024;

    /** A channel's stream: records each packet's data and holds its write until {@link #complete}. */
    private static final class Stream extends AbstractCloseable implements IoOutputStream {
        final List<byte[]> packets = new ArrayList<>();
        final List<IoWriteFutureImpl> pending = new ArrayList<>();
        boolean concurrentWrite;

        @Override
        public synchronized IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
            concurrentWrite |= !pending.isEmpty();
            assertThat(buffer).isInstanceOf(PacketBuffer.class); // the channel sends it without a copy
            // the room the channel fills in before the data: the packet's header, code, channel and length
            assertThat(buffer.rpos()).isEqualTo(SshConstants.SSH_PACKET_HEADER_LEN + 9);
            packets.add(buffer.getCompactData());
            IoWriteFutureImpl future = new IoWriteFutureImpl(packets.size(), buffer);
            pending.add(future);
            return future;
        }

        void complete() {
            IoWriteFutureImpl future;
            synchronized (this) {
                future = pending.remove(0);
            }
            future.setValue(Boolean.TRUE);
        }

        void fail() {
            IoWriteFutureImpl future;
            synchronized (this) {
                future = pending.remove(0);
            }
            future.setValue(new EOFException("closed"));
        }

        synchronized List<Integer> sizes() {
            return packets.stream().map(p -> p.length).toList();
        }
    }

    private final Stream stream = new Stream();
    private final List<String> events = new ArrayList<>();
    private final ChannelWriter writer = new ChannelWriter(() -> PACKET,
            size -> new PacketBuffer(new byte[size + 64], false), stream, () -> events.add("error"));

    private static Buffer message(int size, int seed) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (seed + i * 31);
        }
        return new ByteArrayBuffer(data);
    }

    @Test
    void aMessageShouldGoAtOnceWhenNothingIsBeingWritten() throws IOException {
        writer.write(message(28, 1), () -> events.add("status"));
        assertThat(stream.sizes()).containsExactly(28);
        assertThat(events).isEmpty();
        stream.complete();
        assertThat(events).containsExactly("status");
    }

    @Test
    void repliesLargerThanAPacketShouldFillWholePacketsWhileOthersAreWritten() throws IOException {
        ByteArrayOutputStream sent = new ByteArrayOutputStream();
        for (int i = 0; i < 4; i++) {
            Buffer reply = message(REPLY, i);
            sent.writeBytes(reply.getCompactData());
            int n = i;
            writer.write(reply, () -> events.add("reply " + n));
        }
        while (!stream.pending.isEmpty()) {
            stream.complete();
        }
        // MINA's own stream: eight packets, each reply a full one and a 13-byte one; packed: five
        assertThat(stream.sizes()).containsExactly(PACKET, PACKET, PACKET, PACKET, 4 * 13);
        assertThat(stream.concurrentWrite).isFalse();
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        stream.packets.forEach(received::writeBytes);
        assertThat(received.toByteArray()).isEqualTo(sent.toByteArray());
        assertThat(events).containsExactly("reply 0", "reply 1", "reply 2", "reply 3");
    }

    @Test
    void aReplyShouldBeToldWrittenOnlyWithThePacketOfItsLastByte() throws IOException {
        writer.write(message(REPLY, 1), () -> events.add("first"));
        writer.write(message(100, 2), () -> events.add("second"));
        assertThat(stream.sizes()).containsExactly(PACKET);
        stream.complete();
        assertThat(events).isEmpty(); // 13 bytes of the first are in the packet now being written
        assertThat(stream.sizes()).containsExactly(PACKET, 113);
        stream.complete();
        assertThat(events).containsExactly("first", "second");
    }

    @Test
    void aMarkerShouldRunOnceEverythingBeforeItIsWrittenAndAtOnceWhenItIs() throws IOException {
        writer.then(() -> events.add("idle"));
        assertThat(events).containsExactly("idle");
        writer.write(message(40, 1), () -> events.add("a"));
        writer.then(() -> events.add("after a"));
        writer.write(message(40, 2), () -> events.add("b"));
        assertThat(events).containsExactly("idle");
        stream.complete(); // a: nothing unwritten is before "after a" now, and b goes
        assertThat(events).containsExactly("idle", "a", "after a");
        stream.complete();
        assertThat(events).containsExactly("idle", "a", "after a", "b");
        assertThat(stream.sizes()).containsExactly(40, 40);
    }

    @Test
    void aPeerAllowingLargerPacketsShouldGetNoMoreThanTheMaximumInOne() throws IOException {
        Stream big = new Stream();
        ChannelWriter large = new ChannelWriter(() -> 1L << 20, size -> new PacketBuffer(new byte[size + 64], false),
                big, () -> { });
        large.write(message(200_000, 3), () -> { });
        while (!big.pending.isEmpty()) {
            big.complete();
        }
        assertThat(big.sizes()).containsExactly(ChannelWriter.MAX_PACKET, ChannelWriter.MAX_PACKET,
                ChannelWriter.MAX_PACKET, 200_000 - 3 * ChannelWriter.MAX_PACKET);
    }

    @Test
    void aFailedWriteShouldDropWhatWaitsAndWhatComes() throws IOException {
        writer.write(message(REPLY, 1), () -> events.add("first"));
        writer.write(message(10, 2), () -> events.add("second"));
        stream.fail();
        assertThat(events).containsExactly("error");
        assertThat(stream.pending).isEmpty();
        writer.write(message(10, 3), () -> events.add("third"));
        assertThat(stream.sizes()).containsExactly(PACKET);
        assertThat(events).containsExactly("error");
        assertThatThrownBy(() -> writer.awaitBelow(1 << 20, Duration.ofSeconds(1))).isInstanceOf(EOFException.class);
    }

    @Test
    void aProducerShouldWaitWhileThePeerHasNotTakenEnoughAndGoOnWhenItHas() throws Exception {
        writer.write(message(3 * PACKET, 1), () -> { });
        CompletableFuture<Void> waited = CompletableFuture.runAsync(() -> {
            try {
                writer.awaitBelow(2 * PACKET, Duration.ofSeconds(20));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(waited).isNotDone();
        stream.complete(); // 2 packets left
        assertThat(waited).isNotDone();
        stream.complete();
        waited.get(20, TimeUnit.SECONDS);
        stream.complete();
        assertThat(writer.awaitWritten(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void aPeerThatTakesNothingForTheWholeWaitShouldFailTheWriter() throws Exception {
        writer.write(message(3 * PACKET, 1), () -> { });
        assertThatThrownBy(() -> writer.awaitBelow(PACKET, Duration.ofMillis(50))).isInstanceOf(IOException.class)
                .hasMessageContaining("has not taken " + 3 * PACKET + " bytes");
        assertThat(events).containsExactly("error");
        // the next reply fails at once instead of waiting as long again
        assertThatThrownBy(() -> writer.awaitBelow(PACKET, Duration.ofSeconds(20))).isInstanceOf(EOFException.class);
        assertThat(writer.awaitWritten(Duration.ofSeconds(20))).isFalse();
    }

    @Test
    void writesThatCompleteAtOnceShouldNotDeepenTheStack() {
        List<Integer> sizes = new ArrayList<>();
        IoOutputStream immediate = new Immediate(sizes);
        ChannelWriter fast = new ChannelWriter(() -> 16, size -> new PacketBuffer(new byte[size + 64], false),
                immediate, () -> events.add("error"));
        int[] callbacks = {0};
        fast.write(message(16 * 20_000, 5), () -> callbacks[0]++);
        assertThat(sizes).hasSize(20_000).allMatch(size -> size == 16);
        assertThat(callbacks[0]).isEqualTo(1);
        assertThat(events).isEmpty();
    }

    @Test
    void aCallbackThatThrowsShouldNotStopTheWriter() throws Exception {
        writer.write(message(10, 1), () -> {
            throw new IllegalStateException("a callback's fault");
        });
        writer.then(() -> events.add("marker"));
        writer.write(message(10, 2), () -> events.add("second"));
        stream.complete();
        stream.complete();
        assertThat(events).containsExactly("marker", "second");
        assertThat(writer.awaitWritten(Duration.ofSeconds(1))).isTrue();
    }

    /** A stream whose every write completes before it returns. */
    private static final class Immediate extends AbstractCloseable implements IoOutputStream {
        private final List<Integer> sizes;

        Immediate(List<Integer> sizes) {
            this.sizes = sizes;
        }

        @Override
        public IoWriteFuture writeBuffer(Buffer buffer) {
            sizes.add(buffer.available());
            IoWriteFutureImpl future = new IoWriteFutureImpl(sizes.size(), buffer);
            future.setValue(Boolean.TRUE);
            return future;
        }
    }
}
