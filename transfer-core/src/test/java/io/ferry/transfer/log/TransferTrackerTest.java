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

    @Test
    void readingAWholeFileShouldLogTheChecksumKeptWithItWithoutHashing() throws Exception {
        byte[] data = random(3 * TransferTracker.BATCH + 17);
        String kept = "ab".repeat(32); // not the data's hash: proves the tracker took it instead of hashing
        try (Kept content = new Kept(Files.write(tmp.resolve("f"), data), kept)) {
            TransferTracker tracker = TransferTracker.reading(Direction.DOWNLOAD, content);
            for (int off = 0; off < data.length; off += 32_768) {
                tracker.moved(off, ByteBuffer.wrap(data, off, Math.min(32_768, data.length - off)));
            }
            assertThat(tracker.sha256(content)).isEqualTo(kept);
        }
    }

    @Test
    void readingPartOfAFileWithAKeptChecksumShouldHashWhatWasSent() throws Exception {
        byte[] data = random(20_000);
        try (Kept content = new Kept(Files.write(tmp.resolve("f"), data), "ab".repeat(32))) {
            TransferTracker cut = TransferTracker.reading(Direction.DOWNLOAD, content);
            cut.moved(0, ByteBuffer.wrap(data, 0, 8_000)); // the client went away
            assertThat(cut.sha256(content)).isEqualTo(sha256(data, 0, 8_000));
        }
        // a resumed download hashes as it streams (no second read): the file here holds zeros, not the bytes moved,
        // so the answer shows where it came from
        try (Kept zeros = new Kept(Files.write(tmp.resolve("z"), new byte[20_000]), "ab".repeat(32))) {
            TransferTracker resumed = TransferTracker.reading(Direction.DOWNLOAD, zeros);
            resumed.moved(8_000, ByteBuffer.wrap(data, 8_000, 12_000));
            assertThat(resumed.sha256(zeros)).isEqualTo(sha256(data, 8_000, 12_000));
        }
    }

    /** A file with a checksum kept for it, as the storage hands it out. */
    private static final class Kept implements io.ferry.storage.StoredContent {
        private final FileChannel file;
        private final String sha256;

        Kept(Path path, String sha256) throws java.io.IOException {
            this.file = FileChannel.open(path, StandardOpenOption.READ);
            this.sha256 = sha256;
        }

        @Override
        public String recordedSha256() {
            return sha256;
        }

        @Override
        public int read(ByteBuffer dst) throws java.io.IOException {
            return file.read(dst);
        }

        @Override
        public int write(ByteBuffer src) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public long position() throws java.io.IOException {
            return file.position();
        }

        @Override
        public Kept position(long newPosition) throws java.io.IOException {
            file.position(newPosition);
            return this;
        }

        @Override
        public long size() throws java.io.IOException {
            return file.size();
        }

        @Override
        public Kept truncate(long size) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return file.isOpen();
        }

        @Override
        public void close() throws java.io.IOException {
            file.close();
        }
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
