package io.ferry.transfer.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransferTrackerTest {

    @TempDir
    Path tmp;

    @Test
    void sequentialTransferShouldHashWhileStreaming() throws Exception {
        byte[] data = random(100_000);
        TransferTracker tracker = new TransferTracker(Direction.UPLOAD);
        for (int off = 0; off < data.length; off += 32_768) {
            tracker.moved(off, ByteBuffer.wrap(data, off, Math.min(32_768, data.length - off)));
        }
        assertThat(tracker.bytes()).isEqualTo(data.length);
        assertThat(tracker.startOffset()).isZero();
        assertThat(tracker.sha256(null)).isEqualTo(sha256(data, 0, data.length));
    }

    @Test
    void largeTransferShouldBeHashedInOrderOffTheCallersThread() throws Exception {
        byte[] data = random(5 * TransferTracker.BATCH * TransferTracker.IN_FLIGHT + 12_345);
        TransferTracker tracker = new TransferTracker(Direction.DOWNLOAD);
        for (int off = 0; off < data.length; off += 32_768) {
            int length = Math.min(32_768, data.length - off);
            // the caller reuses its buffer at once, as a protocol server does
            byte[] reused = new byte[length];
            System.arraycopy(data, off, reused, 0, length);
            tracker.moved(off, ByteBuffer.wrap(reused));
            java.util.Arrays.fill(reused, (byte) 0);
        }
        assertThat(tracker.sha256(null)).isEqualTo(sha256(data, 0, data.length));
        // asking again (the log is written once, but the answer must not change) gives the same
        assertThat(tracker.sha256(null)).isEqualTo(sha256(data, 0, data.length));
    }

    @Test
    void outOfOrderTransferShouldHashTheTouchedRangeFromTheFile() throws Exception {
        byte[] data = random(10_000);
        Path file = Files.write(tmp.resolve("f"), data);
        TransferTracker tracker = new TransferTracker(Direction.UPLOAD);
        tracker.moved(5_000, ByteBuffer.wrap(data, 5_000, 5_000));
        tracker.moved(1_000, ByteBuffer.wrap(data, 1_000, 4_000));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThat(tracker.startOffset()).isEqualTo(1_000);
            assertThat(tracker.sha256(channel)).isEqualTo(sha256(data, 1_000, 9_000));
        }
    }

    @Test
    void resumedTransferShouldReportItsStartOffset() throws Exception {
        byte[] data = random(4_096);
        TransferTracker tracker = new TransferTracker(Direction.DOWNLOAD);
        tracker.moved(1_000, ByteBuffer.wrap(data, 1_000, 3_096));
        assertThat(tracker.startOffset()).isEqualTo(1_000);
        assertThat(tracker.sha256(null)).isEqualTo(sha256(data, 1_000, 3_096));
    }

    private static byte[] random(int n) {
        byte[] data = new byte[n];
        new Random(42).nextBytes(data);
        return data;
    }

    private static String sha256(byte[] data, int off, int len) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(data, off, len);
        return HexFormat.of().formatHex(digest.digest());
    }
}
