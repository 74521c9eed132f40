package io.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

class EncryptedFileStoreTest extends NasFileStoreContractTest {

    static final String K1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    static final String K2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    @Override
    StorageKeys keys() {
        return StorageKeys.fromBase64(Map.of("k1", K1), "k1");
    }

    @Test
    void filesShouldBeEncryptedOnDiskAndReportTheirPlaintextSize() throws IOException {
        FileStore store = store();
        byte[] data = ("confidential invoice ".repeat(10_000)).getBytes(StandardCharsets.US_ASCII);
        upload(store, "/invoice.txt", data);
        byte[] raw = Files.readAllBytes(home().resolve("invoice.txt"));
        assertThat(new String(raw, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("FERRYENC");
        assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain("confidential");
        assertThat(raw.length).isGreaterThan(data.length);
        assertThat(store.size(store.resolve(fs.getPath("/invoice.txt")))).isEqualTo(data.length);
    }

    @Test
    void randomAccessShouldNeverPutPlaintextOnTheStorageAndResealWithFreshNonces() throws IOException {
        FileStore store = store();
        int segment = EncryptedFormat.SEGMENT;
        byte[] text = ("confidential invoice ".repeat(40_000)).getBytes(StandardCharsets.US_ASCII);
        Upload upload = store.openUpload(store.resolve(fs.getPath("/patched.txt")), true, false);
        FileStoreContract.write(upload, text, 0, text.length);
        Path part = home().resolve(".ferry-part-patched.txt");
        upload.sync();
        byte[] before = Files.readAllBytes(part);
        upload.position(segment + 5); // inside the second segment, sealed on the storage already
        upload.write(ByteBuffer.wrap("CONFIDENTIAL".getBytes(StandardCharsets.US_ASCII)));
        upload.position(text.length + 2 * segment); // a gap of two segments and more
        upload.write(ByteBuffer.wrap("confidential tail".getBytes(StandardCharsets.US_ASCII)));
        upload.sync();
        byte[] after = Files.readAllBytes(part);
        assertThat(new String(after, StandardCharsets.ISO_8859_1)).doesNotContain("onfidential").doesNotContain("ONFID");
        // the rewritten segment was sealed again with a new nonce, not only new ciphertext
        int second = headerLength(after) + segment + EncryptedFormat.OVERHEAD;
        assertThat(Arrays.copyOfRange(after, second, second + EncryptedFormat.NONCE_RANDOM))
                .isNotEqualTo(Arrays.copyOfRange(before, second, second + EncryptedFormat.NONCE_RANDOM));
        upload.complete();
        byte[] published = Files.readAllBytes(home().resolve("patched.txt"));
        assertThat(new String(published, StandardCharsets.ISO_8859_1)).doesNotContain("onfidential");
        byte[] read = FileStoreContract.readAll(store, fs.getPath("/patched.txt"));
        assertThat(new String(read, segment + 5, 12, StandardCharsets.US_ASCII)).isEqualTo("CONFIDENTIAL");
        assertThat(read).hasSize(text.length + 2 * segment + 17);
        assertThat(read[text.length + segment]).isZero();
    }

    @Test
    void aTornRewriteShouldCutTheResumeThereNotBePublished() throws IOException {
        FileStore store = store();
        int segment = EncryptedFormat.SEGMENT;
        // more segments than a resume checks after a crash by default (the last ones only, see Flusher): the mark
        // left by the rewrite has it check them all
        byte[] data = FileStoreContract.random((int) (EncryptedWriter.Tail.VERIFIED + 4) * segment);
        Upload upload = store.openUpload(store.resolve(fs.getPath("/writing.bin")), true, false);
        FileStoreContract.write(upload, data, 0, data.length);
        upload.position(segment + 1); // the second segment
        upload.write(ByteBuffer.wrap(data, segment + 1, 100));
        upload.sync();
        // the node dies here: what its disk holds is the part as synced, with the mark the rewrite left
        Path part = home().resolve(".ferry-part-torn.bin");
        Files.copy(home().resolve(".ferry-part-writing.bin"), part);
        assertThat(PendingUploads.isRewritten(home().resolve(".ferry-part-writing.bin"))).isTrue();
        PendingUploads.markRewritten(part);
        upload.abandon();
        // and the rewrite was torn by the crash: bytes of the second segment's ciphertext never reached the disk
        long inSecond = headerLength(Files.readAllBytes(part)) + segment + EncryptedFormat.OVERHEAD + 500;
        try (FileChannel raw = FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            raw.write(ByteBuffer.wrap(new byte[] {0x55, 0x66}), inSecond);
        }
        Upload resumed = store.openUpload(store.resolve(fs.getPath("/torn.bin")), false, false);
        assertThat(resumed.startSize()).isEqualTo(segment); // the first segment only: the client sends the rest
        FileStoreContract.write(resumed, data, segment, data.length - segment);
        resumed.complete();
        assertThat(FileStoreContract.readAll(store, fs.getPath("/torn.bin"))).isEqualTo(data);
    }

    @Test
    void fsyncAfterACutShouldLeaveWhatWasSyncedLast() throws IOException {
        FileStore store = store();
        Upload upload = store.openUpload(store.resolve(fs.getPath("/cut.bin")), true, false);
        upload.write(ByteBuffer.wrap(FileStoreContract.random(200)));
        upload.sync();
        upload.truncate(100);
        upload.sync();
        // what a resume after a crash would continue from, read from the storage while the upload is open
        assertThat(store.size(store.resolve(fs.getPath("/cut.bin")))).isEqualTo(100);
        upload.truncate(0);
        upload.sync();
        assertThat(store.size(store.resolve(fs.getPath("/cut.bin")))).isZero();
        upload.abandon();
    }

    /**
     * Every sealing of a segment sealed before draws a fresh random nonce part for the same key and index: an upload
     * may do that {@link EncryptedWriter#MAX_RESEALS} times, then it is refused (and never published). A file with
     * the format's smallest segments (1 KiB, which the format reads) makes the bound quick to reach.
     */
    @Test
    void rewritesOfSealedSegmentsShouldBeBounded() throws IOException {
        FileStore store = store();
        Path part = home().resolve(".ferry-part-small-segments.bin");
        byte[] salt = new byte[32];
        byte[] keyId = "k1".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer header = ByteBuffer.allocate(EncryptedFormat.MAGIC.length + 2 + keyId.length + 4 + salt.length);
        header.put(EncryptedFormat.MAGIC).put((byte) 1).put((byte) keyId.length).put(keyId).putInt(1024).put(salt);
        Files.write(part, header.array());
        Upload upload = store.openUpload(store.resolve(fs.getPath("/small-segments.bin")), false, false);
        upload.write(ByteBuffer.wrap(FileStoreContract.random(3000))); // two sealed segments and a part of one
        assertThatThrownBy(() -> {
            for (int i = 0; i <= EncryptedWriter.MAX_RESEALS + 1; i++) {
                upload.position(i % 2 == 0 ? 10 : 1030); // alternating between the two sealed segments
                upload.write(ByteBuffer.wrap(new byte[] {(byte) i}));
            }
        }).isInstanceOf(StorageException.class).hasMessageContaining("at most " + EncryptedWriter.MAX_RESEALS);
        assertThatThrownBy(upload::complete).isInstanceOf(StorageException.class)
                .hasMessageContaining("upload it anew");
        upload.abandon();
        // changed out of order and broken: a resume could not know which change it lacks, so nothing is kept
        assertThat(home().resolve("small-segments.bin")).doesNotExist();
        assertThat(part).doesNotExist();
    }

    /** The length of the encrypted format's header at the start of {@code file}. */
    private static int headerLength(byte[] file) {
        return EncryptedFormat.MAGIC.length + 2 + (file[EncryptedFormat.MAGIC.length + 1] & 0xFF) + 4 + 32;
    }

    @Test
    void tamperingShouldBeDetectedAndNeverReturnedAsData() throws IOException {
        FileStore store = store();
        int segment = EncryptedFormat.SEGMENT;
        byte[] data = FileStoreContract.random(3 * segment);
        upload(store, "/f", data);
        long inSecondSegment = 100 + segment + EncryptedFormat.OVERHEAD + segment / 2;
        try (FileChannel raw = FileChannel.open(home().resolve("f"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            raw.read(one, inSecondSegment);
            one.put(0, (byte) (one.get(0) ^ 1));
            raw.write(one.rewind(), inSecondSegment);
        }
        try (SeekableByteChannel in = store.openRead(store.resolve(fs.getPath("/f")))) {
            in.position(0);
            assertThat(in.read(ByteBuffer.allocate(1000))).isEqualTo(1000); // segment 0 is intact
            in.position(segment + 10);
            assertThatThrownBy(() -> in.read(ByteBuffer.allocate(10_000))).isInstanceOf(IOException.class)
                    .hasMessageContaining("integrity");
        }
    }

    @Test
    void truncationShouldBeDetectedAtAnyLength() throws IOException {
        FileStore store = store();
        int segment = EncryptedFormat.SEGMENT;
        byte[] data = FileStoreContract.random(2 * segment + segment / 2);
        upload(store, "/t", data);
        byte[] whole = Files.readAllBytes(home().resolve("t"));
        int lastSegment = segment / 2 + EncryptedFormat.OVERHEAD;
        // inside the final segment, exactly at a segment boundary (the final segment gone), inside a middle one
        for (int cut : new int[] {1, EncryptedFormat.TAG, lastSegment, lastSegment + 100, whole.length - 60}) {
            Files.write(home().resolve("t" + cut), Arrays.copyOf(whole, whole.length - cut));
            assertThatThrownBy(() -> FileStoreContract.readAll(store, fs.getPath("/t" + cut))).as("cut " + cut)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void resealingASegmentOnResumeShouldNeverRepeatItsNonce() throws IOException {
        FileStore store = store();
        Upload first = store.openUpload(store.resolve(fs.getPath("/n")), true, false);
        FileStoreContract.write(first, FileStoreContract.random(100), 0, 100);
        first.abandon(); // segment 0 sealed short and non-final
        Path part = home().resolve(".ferry-part-n");
        int header = (int) (Files.size(part) - 100 - EncryptedFormat.OVERHEAD);
        byte[] before = Arrays.copyOfRange(Files.readAllBytes(part), header, header + EncryptedFormat.NONCE_RANDOM);

        Upload second = store.openUpload(store.resolve(fs.getPath("/n")), false, false);
        FileStoreContract.write(second, FileStoreContract.random(50), 0, 50);
        second.complete(); // segment 0 sealed again, now final, with more data
        byte[] after = Arrays.copyOfRange(Files.readAllBytes(home().resolve("n")), header,
                header + EncryptedFormat.NONCE_RANDOM);
        assertThat(after).isNotEqualTo(before);
        assertThat(store.size(store.resolve(fs.getPath("/n")))).isEqualTo(150);
    }

    @Test
    void rotatedKeysShouldStillReadOldFilesAndWriteWithTheNewKey() throws IOException {
        byte[] data = FileStoreContract.random(70_000);
        upload(store(), "/old", data);
        StorageRoot rotated = root(StorageKeys.fromBase64(Map.of("k1", K1, "k2", K2), "k2"), true);
        FileStore store = rotated.open("acme", Quota.UNLIMITED);
        assertThat(FileStoreContract.readAll(store, fs.getPath("/old"))).isEqualTo(data);
        upload(store, "/new", data);
        assertThat(new String(Files.readAllBytes(home().resolve("new")), 10, 2, StandardCharsets.US_ASCII))
                .isEqualTo("k2");

        StorageRoot withoutOldKey = root(StorageKeys.fromBase64(Map.of("k2", K2), "k2"), true);
        FileStore lacking = withoutOldKey.open("acme", Quota.UNLIMITED);
        assertThatThrownBy(() -> FileStoreContract.readAll(lacking, fs.getPath("/old")))
                .isInstanceOf(IOException.class).hasMessageContaining("'k1'");
    }

    @Test
    void reencryptionShouldMoveEveryFileToTheActiveKeyAndKeepTimes() throws Exception {
        byte[] data = FileStoreContract.random(150_000);
        upload(store(), "/old-key.bin", data);
        Files.createDirectories(home().resolve("sub"));
        Files.write(home().resolve("sub/plain.bin"), data);
        java.nio.file.attribute.FileTime stamp = java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L);
        Files.setLastModifiedTime(home().resolve("old-key.bin"), stamp);

        StorageRoot rotated = root(StorageKeys.fromBase64(Map.of("k1", K1, "k2", K2), "k2"), true);
        assertThat(rotated.reencryption().start(Runnable::run)).isTrue();
        Reencryption.Progress done = rotated.reencryption().progress();
        assertThat(done.running()).isFalse();
        assertThat(done.rewritten()).isEqualTo(2);
        assertThat(done.failed()).isZero();

        StorageRoot onlyNewKey = root(StorageKeys.fromBase64(Map.of("k2", K2), "k2"), true);
        FileStore store = onlyNewKey.open("acme", Quota.UNLIMITED);
        assertThat(FileStoreContract.readAll(store, fs.getPath("/old-key.bin"))).isEqualTo(data);
        assertThat(FileStoreContract.readAll(store, fs.getPath("/sub/plain.bin"))).isEqualTo(data);
        assertThat(Files.getLastModifiedTime(home().resolve("old-key.bin"))).isEqualTo(stamp);
        assertThat(rotated.reencryption().start(Runnable::run)).isTrue();
        assertThat(rotated.reencryption().progress().rewritten()).isZero();
    }

    @Test
    void resumeAfterACrashShouldStopAtTheFirstSegmentThatDidNotReachTheDisk() throws IOException {
        FileStore store = store();
        int segment = EncryptedFormat.SEGMENT;
        byte[] data = FileStoreContract.random(6 * segment);
        Upload first = store.openUpload(store.resolve(fs.getPath("/hole")), true, false);
        FileStoreContract.write(first, data, 0, 5 * segment);
        first.abandon();
        Path part = home().resolve(".ferry-part-hole");
        int header = (int) (Files.size(part) - 5L * (segment + EncryptedFormat.OVERHEAD));
        try (FileChannel raw = FileChannel.open(part, StandardOpenOption.WRITE)) {
            // segment 2 never made it to the disk (zeros), while 3 and 4 did
            raw.write(ByteBuffer.allocate(segment + EncryptedFormat.OVERHEAD),
                    header + 2L * (segment + EncryptedFormat.OVERHEAD));
        }
        Path pending = store.resolve(fs.getPath("/hole"));
        assertThat(store.size(pending)).isEqualTo(2L * segment);
        Upload second = store.openUpload(pending, false, false);
        FileStoreContract.write(second, data, 2 * segment, 4 * segment);
        second.complete();
        assertThat(FileStoreContract.readAll(store, fs.getPath("/hole"))).isEqualTo(data);
    }

    @Test
    void uploadsContinuedAfterARotationShouldUseTheNewKey() throws IOException {
        byte[] data = FileStoreContract.random(600_000);
        upload(store(), "/appended", Arrays.copyOf(data, 300_000));
        Upload dropped = store().openUpload(store().resolve(fs.getPath("/pending")), true, false);
        FileStoreContract.write(dropped, data, 0, 300_000);
        dropped.abandon();

        StorageRoot rotated = root(StorageKeys.fromBase64(Map.of("k1", K1, "k2", K2), "k2"), true);
        FileStore store = rotated.open("acme", Quota.UNLIMITED);
        // a pending upload under the retired key starts over (stat says 0), so nothing new is sealed with k1
        assertThat(store.size(store.resolve(fs.getPath("/pending")))).isZero();
        Upload restart = store.openUpload(store.resolve(fs.getPath("/pending")), false, false);
        assertThat(restart.startSize()).isZero();
        FileStoreContract.write(restart, data, 0, data.length);
        restart.complete();
        // appending to a finished k1 file rewrites it under k2
        Upload append = store.openUpload(store.resolve(fs.getPath("/appended")), false, false);
        assertThat(append.startSize()).isEqualTo(300_000);
        FileStoreContract.write(append, data, 300_000, 300_000);
        append.complete();
        for (String name : new String[] {"pending", "appended"}) {
            assertThat(new String(Files.readAllBytes(home().resolve(name)), 10, 2, StandardCharsets.US_ASCII))
                    .as(name).isEqualTo("k2");
            assertThat(FileStoreContract.readAll(store, fs.getPath("/" + name))).isEqualTo(data);
        }
    }

    @Test
    void plainFilesShouldStayReadableWhenEncryptionIsTurnedOn() throws IOException {
        Files.writeString(home().resolve("legacy.txt"), "written before encryption");
        assertThat(FileStoreContract.readAll(store(), fs.getPath("/legacy.txt")))
                .isEqualTo("written before encryption".getBytes(StandardCharsets.US_ASCII));
    }
}
