package io.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.ferry.storage.testing.SmallFileSystem;

/**
 * What every {@link FileStore} must do, whatever it stores files as. Implementations provide a store over a fresh
 * home; see {@link PlainFileStoreTest} and {@link EncryptedFileStoreTest}.
 */
interface FileStoreContract {

    /** The store under test, for a home whose real directory is {@link #home()}, with the given quota. */
    FileStore store(Quota quota) throws IOException;

    Path home();

    FileSystem fs();

    @AfterEach
    default void closeFileSystem() throws IOException {
        fs().close();
    }

    default FileStore store() throws IOException {
        return store(Quota.UNLIMITED);
    }

    @Test
    default void uploadShouldBeInvisibleUntilCompleted() throws IOException {
        FileStore store = store();
        byte[] data = random(200_000);
        Path path = store.resolve(fs().getPath("/orders.csv"));
        Upload upload = store.openUpload(path, true, false);
        write(upload, data, 0, 150_000);
        assertThat(home().resolve("orders.csv")).doesNotExist();
        assertThat(listed(store, "/")).doesNotContain("orders.csv").noneMatch(n -> n.startsWith(".ferry"));
        write(upload, data, 150_000, data.length - 150_000);
        upload.complete();
        assertThat(listed(store, "/")).containsExactly("orders.csv");
        assertThat(store.size(store.resolve(path))).isEqualTo(data.length);
        assertThat(readAll(store, path)).isEqualTo(data);
    }

    @Test
    default void uploadWhoseWriteFailedShouldNeverBePublishedAndResumeOnceThereIsRoom() throws IOException {
        byte[] data = random(3_000_000);
        try (SmallFileSystem disk = SmallFileSystem.mount(home(), 1 << 20)) {
            FileStore store = store();
            Path path = store.resolve(fs().getPath("/full.bin"));
            Upload upload = store.openUpload(path, true, false);
            assertThatThrownBy(() -> write(upload, data, 0, data.length))
                    .isInstanceOf(StorageFullException.class).hasMessage("no space left on the storage");
            // a client's pipelined writes after the failed one hear the same reason, not "out of order"
            assertThatThrownBy(() -> upload.position(upload.size() + 262_144)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("no space left on the storage");
            // the client closes its handle as if all went well: the upload must not be published
            assertThatThrownBy(upload::complete).isInstanceOf(StorageException.class)
                    .hasMessageContaining("no space left on the storage").hasMessageContaining("resume");
            upload.abandon();
            assertThat(home().resolve("full.bin")).doesNotExist();
            assertThat(listed(store, "/")).isEmpty();

            disk.resize(16 << 20);
            Upload resumed = store.openUpload(store.resolve(fs().getPath("/full.bin")), false, false);
            int from = (int) resumed.startSize();
            assertThat(from).isPositive().isLessThan(data.length);
            write(resumed, data, from, data.length - from);
            resumed.complete();
            assertThat(readAll(store, fs().getPath("/full.bin"))).isEqualTo(data);
        }
    }

    @Test
    default void uploadWhoseStorageTurnsReadOnlyMidwayShouldNeverBePublished() throws IOException {
        byte[] data = random(2_000_000);
        try (SmallFileSystem disk = SmallFileSystem.ext4(home(), 64 << 20)) {
            FileStore store = store();
            Upload upload = store.openUpload(store.resolve(fs().getPath("/ro.bin")), true, false);
            write(upload, data, 0, 500_000);
            disk.failReadOnly();
            assertThatThrownBy(() -> {
                write(upload, data, 500_000, data.length - 500_000);
                upload.complete();
            }).isInstanceOf(StorageException.class).hasMessageContaining("the storage is read-only");
            assertThatThrownBy(upload::complete).isInstanceOf(StorageException.class)
                    .hasMessageContaining("the storage is read-only");
            try {
                upload.abandon();
            } catch (IOException readOnly) {
                // what arrived cannot be synced any more: still nothing is published
            }
            assertThat(home().resolve("ro.bin")).doesNotExist();
            assertThat(listed(store, "/")).isEmpty();
        }
    }

    @Test
    default void readOnlyStorageShouldRefuseUploadsInWordsAndStillServeReads() throws IOException {
        byte[] data = random(10_000);
        try (SmallFileSystem disk = SmallFileSystem.mount(home(), 4 << 20)) {
            FileStore store = store();
            upload(store, "/kept.txt", data);
            disk.readOnly();
            assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/new.txt")), true, false))
                    .isInstanceOf(StorageReadOnlyException.class).hasMessage("the storage is read-only");
            assertThatThrownBy(() -> store.createDirectory(store.resolve(fs().getPath("/dir"))))
                    .isInstanceOf(StorageReadOnlyException.class);
            assertThat(readAll(store, fs().getPath("/kept.txt"))).isEqualTo(data);
            disk.writable();
            upload(store, "/new.txt", data);
            assertThat(readAll(store, fs().getPath("/new.txt"))).isEqualTo(data);
        }
    }

    @Test
    default void completedFileShouldReadAtAnyOffset() throws IOException {
        FileStore store = store();
        byte[] data = random(600_001);
        upload(store, "/big.bin", data);
        try (SeekableByteChannel in = store.openRead(store.resolve(fs().getPath("/big.bin")))) {
            assertThat(in.size()).isEqualTo(data.length);
            for (int offset : new int[] {0, 1, 65_535, 65_536, 131_072, 200_000, 262_143, 262_144, 300_000}) {
                ByteBuffer buffer = ByteBuffer.allocate(1000);
                in.position(offset);
                int n = in.read(buffer);
                assertThat(n).isEqualTo(Math.min(1000, data.length - offset));
                assertThat(Arrays.copyOf(buffer.array(), n)).isEqualTo(Arrays.copyOfRange(data, offset, offset + n));
            }
            in.position(data.length);
            assertThat(in.read(ByteBuffer.allocate(10))).isEqualTo(-1);
        }
    }

    @Test
    default void emptyAndSegmentSizedFilesShouldRoundTrip() throws IOException {
        FileStore store = store();
        for (int size : new int[] {0, 1, 65_536, 262_144, 524_288}) {
            byte[] data = random(size);
            upload(store, "/f" + size, data);
            assertThat(store.size(store.resolve(fs().getPath("/f" + size)))).isEqualTo(size);
            assertThat(readAll(store, fs().getPath("/f" + size))).isEqualTo(data);
        }
    }

    @Test
    default void largeAndUnalignedWritesShouldRoundTrip() throws IOException {
        FileStore store = store();
        // writes larger than a segment, starting on and off a segment boundary, from an array with an offset
        int[] lengths = {600_000, 1, 262_143, 262_144, 262_145, 1_000_000, 7};
        int total = Arrays.stream(lengths).sum();
        byte[] data = random(total);
        byte[] padded = new byte[total + 13];
        System.arraycopy(data, 0, padded, 13, total);
        Upload upload = store.openUpload(store.resolve(fs().getPath("/large")), true, false);
        int at = 13;
        for (int length : lengths) {
            upload.write(ByteBuffer.wrap(padded, at, length).slice());
            at += length;
        }
        upload.complete();
        assertThat(store.size(store.resolve(fs().getPath("/large")))).isEqualTo(total);
        assertThat(readAll(store, fs().getPath("/large"))).isEqualTo(data);
    }

    @Test
    default void statShouldGiveWhatAClientSeesAndTimesShouldBeSetThroughTheStore() throws IOException {
        FileStore store = store();
        byte[] data = random(70_001);
        upload(store, "/stat.bin", data);
        store.createDirectory(store.resolve(fs().getPath("/dir")));
        Upload pending = store.openUpload(store.resolve(fs().getPath("/dir/part.bin")), true, false);
        write(pending, data, 0, 40_000);
        pending.abandon();

        FileStore.Stat file = store.stat(store.resolve(fs().getPath("/stat.bin")));
        assertThat(file.regularFile()).isTrue();
        assertThat(file.directory()).isFalse();
        assertThat(file.size()).as("the plaintext size, encrypted or not").isEqualTo(data.length);
        assertThat(store.stat(store.resolve(fs().getPath("/dir"))).directory()).isTrue();
        Path part = store.resolve(fs().getPath("/dir/part.bin"));
        assertThat(store.stat(part).size()).as("what a resume continues from").isEqualTo(40_000);
        assertThatThrownBy(() -> store.stat(store.resolve(fs().getPath("/none.bin"))))
                .isInstanceOf(NoSuchFileException.class);

        FileTime sent = FileTime.fromMillis(1_600_000_000_000L);
        store.setLastModified(store.resolve(fs().getPath("/stat.bin")), sent);
        assertThat(store.stat(store.resolve(fs().getPath("/stat.bin"))).lastModified()).isEqualTo(sent);
        // a client may set the time of an upload before it closes it (OpenSSH's put -p does)
        store.setLastModified(part, sent);
        assertThat(store.stat(part).lastModified()).isEqualTo(sent);
        // but never past now: abandoned uploads are swept by age, and a future time would keep one for good
        store.setLastModified(part, FileTime.from(Instant.parse("2999-01-01T00:00:00Z")));
        assertThat(store.stat(part).lastModified().toInstant()).isBefore(Instant.now().plusSeconds(1));
    }

    @Test
    default void abandonedUploadShouldResumeFromWhereItStopped() throws IOException {
        FileStore store = store();
        byte[] data = random(250_000);
        Upload first = store.openUpload(store.resolve(fs().getPath("/resume.bin")), true, false);
        write(first, data, 0, 150_123);
        first.abandon();

        Path pending = store.resolve(fs().getPath("/resume.bin"));
        assertThat(pending.getFileName().toString()).isNotEqualTo("resume.bin");
        assertThat(store.size(pending)).isEqualTo(150_123);
        assertThat(listed(store, "/")).isEmpty();
        assertThatThrownBy(() -> store.openRead(pending)).isInstanceOf(NoSuchFileException.class);

        Upload second = store.openUpload(pending, false, false);
        assertThat(second.startSize()).isEqualTo(150_123);
        second.position(150_123);
        write(second, data, 150_123, data.length - 150_123);
        second.complete();
        assertThat(readAll(store, fs().getPath("/resume.bin"))).isEqualTo(data);
        assertThat(listed(store, "/")).containsExactly("resume.bin");
    }

    /**
     * Issue 23: what an edge asks a node taking over a session: whether there is an upload an open would continue
     * (also beside an existing file, and ending on a segment's boundary), and about how much it holds.
     */
    @Test
    default void pendingSizeShouldSayWhatAnUploadHoldsBesideTheFile() throws IOException {
        FileStore store = store();
        Path path = fs().getPath("/pending.bin");
        assertThat(store.pendingSize(store.resolve(path))).isEmpty();
        byte[] data = random(2 * 256 * 1024);
        Upload whole = store.openUpload(store.resolve(path), true, false);
        write(whole, data, 0, data.length);
        whole.complete();
        assertThat(store.pendingSize(store.resolve(path))).isEmpty(); // a file, no upload
        for (int sent : new int[] {0, 256 * 1024, 300_000}) {
            Upload again = store.openUpload(store.resolve(path), true, false);
            write(again, data, 0, sent);
            again.abandon();
            assertThat(store.pendingSize(store.resolve(path))).as("after %d bytes", sent).hasValue(sent);
            Upload resumed = store.openUpload(store.resolve(path), sent == 0, false);
            assertThat(resumed.startSize()).isEqualTo(sent);
            resumed.abandon();
        }
    }

    /**
     * A POSIX lock belongs to the process, and closing any channel of a file drops every lock the process holds on
     * it: a look at an upload in progress (its pending size, a stat or a listing of the name, another upload of the
     * name told to wait, the sweep of abandoned ones) must not open its pending file and close it, or another node
     * could take the file while its upload still writes. Another process (python's {@code lockf}, the same
     * {@code fcntl} lock) tells whether the lock is still held.
     */
    @Test
    default void lookingAtAnUploadInProgressShouldLeaveItsLockHeld() throws Exception {
        FileStore store = store();
        Path path = fs().getPath("/held.bin");
        Upload upload = store.openUpload(store.resolve(path), true, false);
        byte[] data = random(100_000);
        write(upload, data, 0, data.length);
        Path part = home().resolve(PendingUploads.partName("held.bin"));
        assertThat(lockedByAnotherProcess(part)).as("held by the upload").isTrue();

        assertThat(store.pendingSize(store.resolve(path))).isPresent();
        assertThat(lockedByAnotherProcess(part)).as("after its pending size").isTrue();
        store.size(store.resolve(path));
        assertThat(lockedByAnotherProcess(part)).as("after its size").isTrue();
        assertThat(listed(store, "/")).doesNotContain("held.bin"); // not a file until it completes, nor opened
        assertThat(lockedByAnotherProcess(part)).as("after a listing").isTrue();
        assertThatThrownBy(() -> store.openUpload(store.resolve(path), true, false))
                .hasMessageContaining("in progress");
        assertThat(lockedByAnotherProcess(part)).as("after another upload of the name was told to wait").isTrue();
        // a second name of the pending file, as a crash between the link and the unlink of a new one leaves
        Path leftover = home().resolve(PendingUploads.NEW_PREFIX + "0123abcd");
        Files.createLink(leftover, part);
        // aged by another process: the JDK opens and closes a file to set its time, which would drop the lock here
        Process touch = new ProcessBuilder("touch", "-m", "-d", "@" + Instant.now().minus(Duration.ofDays(30))
                .getEpochSecond(), part.toString()).inheritIO().start();
        assertThat(touch.waitFor(30, TimeUnit.SECONDS) && touch.exitValue() == 0).isTrue();
        PendingUploads.sweep(home(), Instant.now().minus(Duration.ofDays(1)));
        assertThat(part).as("an upload in progress is not swept").exists();
        assertThat(leftover).as("a leftover name is unlinked by age, never opened").doesNotExist();
        assertThat(lockedByAnotherProcess(part)).as("after the sweep").isTrue();

        // another session changing the pending file by name (the JDK opens and closes it to set a time) is refused
        assertThatThrownBy(() -> store.setLastModified(store.resolve(path), FileTime.from(Instant.now())))
                .hasMessageContaining("in progress");
        assertThatThrownBy(() -> store.delete(store.resolve(path))).hasMessageContaining("in progress");
        assertThat(lockedByAnotherProcess(part)).as("after a time set and a removal were refused").isTrue();
        // the upload's own operations on its file by name (the JDK opens and closes it for each) keep it too
        upload.position(10);
        upload.write(ByteBuffer.wrap(data, 10, 10)); // a rewrite: the part is marked (an attribute)
        assertThat(lockedByAnotherProcess(part)).as("after the upload marked its part rewritten").isTrue();
        upload.setLastModified(FileTime.from(Instant.parse("2026-01-02T03:04:05Z")));
        upload.prepare(null); // the client's time and the checksum attribute, on the part
        assertThat(lockedByAnotherProcess(part)).as("after the upload set its time and checksum").isTrue();
        upload.publish();
        assertThat(readAll(store, path)).isEqualTo(data);
    }

    /** Whether another process finds {@code file} locked (it tries an exclusive {@code lockf} without waiting). */
    static boolean lockedByAnotherProcess(Path file) throws Exception {
        Process probe = new ProcessBuilder("python3", "-c", "import fcntl, sys\n"
                + "f = open(sys.argv[1], 'r+b')\n"
                + "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\nexcept OSError:\n    sys.exit(3)\n",
                file.toString()).redirectErrorStream(true).start();
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(probe.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(probe.exitValue()).as(output).isIn(0, 3);
        return probe.exitValue() == 3;
    }

    @Test
    default void uploadCutShortByACrashShouldResumeFromWhatIsIntact() throws IOException {
        FileStore store = store();
        byte[] data = random(1_200_000);
        Upload first = store.openUpload(store.resolve(fs().getPath("/crash.bin")), true, false);
        write(first, data, 0, 700_000);
        first.abandon();
        Path part;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(home())) {
            part = entries.iterator().next();
        }
        try (FileChannel raw = FileChannel.open(part, StandardOpenOption.WRITE)) {
            raw.truncate(raw.size() - 7); // the tail of the last write never reached the disk
        }
        Path pending = store.resolve(fs().getPath("/crash.bin"));
        long resumable = store.size(pending);
        assertThat(resumable).isLessThan(700_000).isGreaterThan(0);
        Upload second = store.openUpload(pending, false, false);
        assertThat(second.startSize()).isEqualTo(resumable);
        write(second, data, (int) resumable, data.length - (int) resumable);
        second.complete();
        assertThat(readAll(store, fs().getPath("/crash.bin"))).isEqualTo(data);
    }

    @Test
    default void appendingToAFinishedFileShouldKeepItWholeUntilComplete() throws IOException {
        FileStore store = store();
        byte[] data = random(100_000);
        upload(store, "/log.txt", Arrays.copyOf(data, 70_000));
        Upload append = store.openUpload(store.resolve(fs().getPath("/log.txt")), false, false);
        assertThat(append.startSize()).isEqualTo(70_000);
        write(append, data, 70_000, 30_000);
        assertThat(readAll(store, fs().getPath("/log.txt"))).hasSize(70_000);
        append.complete();
        assertThat(readAll(store, fs().getPath("/log.txt"))).isEqualTo(data);
    }

    @Test
    default void replacementShouldKeepTheOldContentUntilComplete() throws IOException {
        FileStore store = store();
        upload(store, "/rates.csv", "old".getBytes());
        Upload replace = store.openUpload(store.resolve(fs().getPath("/rates.csv")), true, false);
        write(replace, "brand new".getBytes(), 0, 9);
        assertThat(readAll(store, fs().getPath("/rates.csv"))).isEqualTo("old".getBytes());
        replace.complete();
        assertThat(readAll(store, fs().getPath("/rates.csv"))).isEqualTo("brand new".getBytes());
    }

    /**
     * An upload is a file to its owner: writes at any position (across segments, past the end), reads back, cuts
     * and extensions, syncs, in random order, checked against a model after every step; the published file and the
     * SHA-256 the store answers are the model's.
     */
    @Test
    default void uploadShouldBeAFileToItsOwner() throws Exception {
        FileStore store = store();
        Random random = new Random(21);
        for (int round = 0; round < 3; round++) {
            byte[] model = new byte[0];
            Path path = store.resolve(fs().getPath("/random-" + round + ".bin"));
            Upload upload = store.openUpload(path, true, false);
            for (int step = 0; step < 120; step++) {
                int op = random.nextInt(10);
                if (op < 6) {
                    int at = random.nextInt(model.length + 300_000);
                    byte[] data = new byte[1 + random.nextInt(random.nextBoolean() ? 40_000 : 600_000)];
                    random.nextBytes(data);
                    upload.position(at);
                    upload.write(ByteBuffer.wrap(data));
                    model = Arrays.copyOf(model, Math.max(model.length, at + data.length));
                    System.arraycopy(data, 0, model, at, data.length);
                    assertThat(upload.position()).isEqualTo(at + data.length);
                } else if (op < 8) {
                    int at = random.nextInt(model.length + 10);
                    ByteBuffer back = ByteBuffer.allocate(1 + random.nextInt(400_000));
                    upload.position(at);
                    int n = upload.read(back);
                    if (at >= model.length) {
                        assertThat(n).isEqualTo(-1);
                    } else {
                        assertThat(n).isEqualTo(Math.min(back.capacity(), model.length - at));
                        assertThat(Arrays.copyOf(back.array(), n)).isEqualTo(Arrays.copyOfRange(model, at, at + n));
                    }
                } else if (op < 9) {
                    int size = random.nextInt(model.length + 400_000);
                    upload.truncate(size);
                    model = Arrays.copyOf(model, size);
                } else {
                    upload.sync();
                }
                assertThat(upload.size()).isEqualTo(model.length);
            }
            String sha = upload.complete(null);
            assertThat(sha).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model)));
            assertThat(readAll(store, path)).isEqualTo(model);
        }
    }

    /** Offsets a client sends can be anything: past the largest file, or where an end would overflow. */
    @Test
    default void offsetsPastTheLargestFileShouldBeRefusedAndCountNothing() throws IOException {
        FileStore store = store(new Quota(1_000_000, 0));
        try (Upload upload = store.openUpload(store.resolve(fs().getPath("/far.bin")), true, false)) {
            upload.write(ByteBuffer.wrap(random(1000)));
            assertThatThrownBy(() -> upload.position(Long.MAX_VALUE)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("largest file");
            assertThatThrownBy(() -> upload.position(Upload.MAX_SIZE + 1)).isInstanceOf(StorageException.class);
            assertThatThrownBy(() -> upload.truncate(Long.MAX_VALUE)).isInstanceOf(StorageException.class);
            upload.position(Upload.MAX_SIZE); // the largest is a position; writing there must fit the quota
            assertThatThrownBy(() -> upload.write(ByteBuffer.wrap(new byte[] {1})))
                    .isInstanceOf(StorageException.class);
        }
        assertThat(store.usage().bytes()).isLessThan(10_000); // the 1,000 bytes written (and their format), no more
    }

    @Test
    default void uploadWrittenOutOfOrderShouldResumeWithWhatItHeld() throws Exception {
        FileStore store = store();
        byte[] data = random(900_000);
        Path path = store.resolve(fs().getPath("/patched.bin"));
        Upload upload = store.openUpload(path, true, false);
        write(upload, data, 0, 700_000);
        upload.position(10);
        upload.write(ByteBuffer.wrap(data, 10, 5)); // the same bytes again, inside the first segment
        upload.truncate(600_000);
        upload.abandon(); // the client went away
        Upload resumed = store.openUpload(store.resolve(fs().getPath("/patched.bin")), false, false);
        assertThat(resumed.startSize()).isEqualTo(600_000);
        write(resumed, data, 600_000, 300_000);
        assertThat(resumed.complete(null)).isNull(); // written in order since the resume: the caller hashes it
        assertThat(readAll(store, fs().getPath("/patched.bin"))).isEqualTo(data);
    }

    @Test
    default void exclusiveCreateShouldFailWhenTheFileExists() throws IOException {
        FileStore store = store();
        upload(store, "/once", new byte[] {1});
        assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/once")), true, true))
                .isInstanceOf(FileAlreadyExistsException.class);
    }

    @Test
    default void reservedNamesAndEscapesShouldBeRefused() throws IOException {
        FileStore store = store();
        assertThatThrownBy(() -> store.resolve(fs().getPath("/.ferry-part-x")))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> store.resolve(fs().getPath("/dir/.ferry-health/y")))
                .isInstanceOf(AccessDeniedException.class);
        Path outside = Files.createTempDirectory("outside");
        Files.createSymbolicLink(home().resolve("link"), outside);
        assertThatThrownBy(() -> store.resolve(fs().getPath("/link/file")))
                .isInstanceOf(AccessDeniedException.class);
        assertThat(store.resolve(fs().getPath("/../../etc/passwd")).toString()).isEqualTo("/etc/passwd");
        // a link that stays inside, followed by '..': resolved lexically, never by the OS after the link
        Files.createDirectories(home().resolve("a/b"));
        Files.createDirectories(home().resolve("x/y"));
        Files.createSymbolicLink(home().resolve("a/b/inner"), home().resolve("x/y"));
        assertThat(store.resolve(fs().getPath("/a/b/inner/../../secret")).toString()).isEqualTo("/a/secret");
        assertThat(home().resolve("etc")).doesNotExist();
    }

    @Test
    default void lookalikeAndOverlongNamesShouldStayInsideOrFailCleanly() throws IOException {
        FileStore store = store();
        // U+2215 DIVISION SLASH, U+FF0E FULLWIDTH FULL STOP, U+2024 ONE DOT LEADER: names, not separators or dots
        for (String name : new String[] {"\u2215etc\u2215passwd", "\uFF0E\uFF0E", "\u2024\u2024", "%2e%2e", "..%2f"}) {
            Path resolved = store.resolve(fs().getPath("/" + name));
            assertThat(resolved.getNameCount()).as(name).isEqualTo(1);
            upload(store, "/" + name, new byte[] {1});
            assertThat(home().resolve(name)).as(name).exists();
        }
        String overlong = "x".repeat(300);
        assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/" + overlong)), true, false))
                .isInstanceOf(IOException.class);
        assertThat(listed(store, "/")).noneMatch(name -> name.startsWith("x"));
    }

    @Test
    default void byteQuotaShouldStopTheUploadAndLeaveNothingBehind() throws IOException {
        FileStore store = store(new Quota(100_000, 0));
        Upload upload = store.openUpload(store.resolve(fs().getPath("/too-big")), true, false);
        byte[] data = random(150_000);
        assertThatThrownBy(() -> write(upload, data, 0, data.length)).isInstanceOf(QuotaExceededException.class)
                .hasMessageContaining("quota");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(home())) {
            assertThat(entries.iterator().hasNext()).as("nothing left in the home").isFalse();
        }
        upload(store, "/fits", random(90_000));
        assertThat(store.usage().bytes()).isGreaterThanOrEqualTo(90_000);
    }

    @Test
    default void fileQuotaShouldRefuseANewFileButAllowReplacing() throws IOException {
        FileStore store = store(new Quota(0, 2));
        upload(store, "/a", new byte[] {1});
        upload(store, "/b", new byte[] {2});
        assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/c")), true, false))
                .isInstanceOf(QuotaExceededException.class).hasMessageContaining("file quota");
        upload(store, "/a", new byte[] {3});
        assertThat(readAll(store, fs().getPath("/a"))).containsExactly(3);
    }

    @Test
    default void deletingShouldFreeQuotaAndEmptyDirectoriesMayHoldPendingUploads() throws IOException {
        FileStore store = store(new Quota(0, 1));
        Files.createDirectory(home().resolve("dir"));
        upload(store, "/dir/one", new byte[] {1});
        store.delete(store.resolve(fs().getPath("/dir/one")));
        Upload pending = store.openUpload(store.resolve(fs().getPath("/dir/two")), true, false);
        write(pending, new byte[] {2}, 0, 1);
        pending.abandon();
        store.delete(store.resolve(fs().getPath("/dir")));
        assertThat(home().resolve("dir")).doesNotExist();
    }

    @Test
    default void aSecondUploadOfAFileShouldWaitUntilTheFirstEnds() throws IOException {
        FileStore store = store();
        Upload first = store.openUpload(store.resolve(fs().getPath("/busy")), true, false);
        write(first, random(1000), 0, 1000);
        assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/busy")), false, false))
                .isInstanceOf(StorageException.class).hasMessageContaining("in progress");
        assertThatThrownBy(() -> store.openUpload(store.resolve(fs().getPath("/busy")), true, false))
                .isInstanceOf(StorageException.class);
        first.abandon();
        Upload second = store.openUpload(store.resolve(fs().getPath("/busy")), false, false);
        assertThat(second.startSize()).isEqualTo(1000);
        second.complete();
    }

    @Test
    default void renamingOrMakingADirectoryOntoAPendingUploadShouldReplaceIt() throws IOException {
        FileStore store = store();
        Upload dropped = store.openUpload(store.resolve(fs().getPath("/report.csv")), true, false);
        write(dropped, random(500), 0, 500);
        dropped.abandon();
        upload(store, "/report.tmp", "final".getBytes());
        store.rename(store.resolve(fs().getPath("/report.tmp")), store.resolve(fs().getPath("/report.csv")));
        assertThat(listed(store, "/")).containsExactly("report.csv");
        assertThat(readAll(store, fs().getPath("/report.csv"))).isEqualTo("final".getBytes());
        assertThat(home().resolve(".ferry-part-report.csv")).doesNotExist();

        Upload other = store.openUpload(store.resolve(fs().getPath("/dir")), true, false);
        write(other, random(10), 0, 10);
        other.abandon();
        store.createDirectory(store.resolve(fs().getPath("/dir")));
        assertThat(home().resolve("dir")).isDirectory();
        assertThat(home().resolve(".ferry-part-dir")).doesNotExist();
    }

    @Test
    default void pendingAndConcurrentUploadsShouldCountAgainstTheQuota() throws IOException {
        FileStore store = store(new Quota(1_000_000, 0));
        Upload dropped = store.openUpload(store.resolve(fs().getPath("/dropped")), true, false);
        write(dropped, random(700_000), 0, 700_000);
        dropped.abandon();
        Upload next = store.openUpload(store.resolve(fs().getPath("/next")), true, false);
        assertThatThrownBy(() -> write(next, random(400_000), 0, 400_000))
                .isInstanceOf(QuotaExceededException.class);
        store.delete(store.resolve(fs().getPath("/dropped")));

        Upload a = store.openUpload(store.resolve(fs().getPath("/a")), true, false);
        Upload b = store.openUpload(store.resolve(fs().getPath("/b")), true, false);
        write(a, random(600_000), 0, 600_000);
        assertThatThrownBy(() -> write(b, random(600_000), 0, 600_000))
                .isInstanceOf(QuotaExceededException.class);
        a.complete();
        assertThat(listed(store, "/")).containsExactly("a");
    }

    @Test
    default void pendingUploadsShouldNotBeRenamed() throws IOException {
        FileStore store = store();
        Upload pending = store.openUpload(store.resolve(fs().getPath("/p")), true, false);
        write(pending, new byte[] {1}, 0, 1);
        pending.abandon();
        assertThatThrownBy(() -> store.rename(store.resolve(fs().getPath("/p")), fs().getPath("/q")))
                .isInstanceOf(AccessDeniedException.class);
    }

    static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size * 31L + 7).nextBytes(data);
        return data;
    }

    @Test
    default void checksumKeptAtCompletionShouldFollowTheFileUntilItChanges() throws IOException {
        FileStore store = store();
        byte[] data = random(300_000);
        String sha = "5f".repeat(32); // whatever the writer says it hashed: the store keeps it, it does not hash
        Upload upload = store.openUpload(store.resolve(fs().getPath("/in.edi")), true, false);
        write(upload, data, 0, data.length);
        upload.complete(sha);
        if (!userAttributesWork(home())) {
            // a file system without user attributes (some NFS mounts, older tmpfs): nothing kept, readers hash
            assertThat(recorded(store, "/in.edi")).isNull();
            assertThat(readAll(store, fs().getPath("/in.edi"))).isEqualTo(data);
            return;
        }
        assertThat(recorded(store, "/in.edi")).isEqualTo(sha);
        store.rename(fs().getPath("/in.edi"), fs().getPath("/done.edi"));
        assertThat(recorded(store, "/done.edi")).isEqualTo(sha);
        assertThat(readAll(store, fs().getPath("/done.edi"))).isEqualTo(data);

        // changed outside Ferry (here only its time): the checksum no longer vouches for it
        Path local = home().resolve("done.edi");
        Files.setLastModifiedTime(local, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        assertThat(recorded(store, "/done.edi")).isNull();
    }

    @Test
    default void checksumShouldBeKeptForAnUploadThatTookItsClientsTime() throws IOException {
        FileStore store = store();
        byte[] data = random(100_000);
        FileTime clients = FileTime.fromMillis(1_700_000_000_000L);
        Upload upload = store.openUpload(store.resolve(fs().getPath("/dated.edi")), true, false);
        write(upload, data, 0, data.length);
        upload.setLastModified(clients); // as put -p, lftp's mirror and rclone ask
        upload.complete("de".repeat(32));
        assertThat(Files.getLastModifiedTime(home().resolve("dated.edi"))).isEqualTo(clients);
        assertThat(recorded(store, "/dated.edi")).isEqualTo(userAttributesWork(home()) ? "de".repeat(32) : null);
    }

    @Test
    default void uploadsThatDidNotHashEveryByteShouldKeepNoChecksum() throws IOException {
        FileStore store = store();
        byte[] data = random(200_000);
        Upload first = store.openUpload(store.resolve(fs().getPath("/f.bin")), true, false);
        write(first, data, 0, 100_000);
        first.complete("aa".repeat(32));
        // appended to: the new content is more than the kept checksum covers, even if the caller hands one
        Upload append = store.openUpload(store.resolve(fs().getPath("/f.bin")), false, false);
        write(append, data, 100_000, 100_000);
        append.complete("bb".repeat(32));
        assertThat(recorded(store, "/f.bin")).isNull();
        assertThat(readAll(store, fs().getPath("/f.bin"))).isEqualTo(data);
        // replaced by an upload completed without one: the old file's checksum is not the new file's
        upload(store, "/g.bin", data);
        Upload hashed = store.openUpload(store.resolve(fs().getPath("/h.bin")), true, false);
        write(hashed, data, 0, 10);
        hashed.complete("cc".repeat(32));
        Upload replacement = store.openUpload(store.resolve(fs().getPath("/h.bin")), true, false);
        write(replacement, data, 0, 20);
        replacement.complete();
        assertThat(recorded(store, "/g.bin")).isNull();
        assertThat(recorded(store, "/h.bin")).isNull();
    }

    @Test
    default void uploadSyncedByItsClientShouldCompleteWithWhatCameAfterTheSyncToo() throws IOException {
        FileStore store = store();
        byte[] data = random(300_000);
        // synced, then completed: the client's fsync stands for the content (nothing is forced twice)
        Upload synced = store.openUpload(store.resolve(fs().getPath("/synced.edi")), true, false);
        write(synced, data, 0, data.length);
        synced.sync();
        synced.complete("ab".repeat(32));
        assertThat(readAll(store, fs().getPath("/synced.edi"))).isEqualTo(data);
        // written after its sync, cut after another: the completion keeps every change since
        Upload changed = store.openUpload(store.resolve(fs().getPath("/changed.edi")), true, false);
        write(changed, data, 0, 100_000);
        changed.sync();
        write(changed, data, 100_000, 200_000);
        changed.sync();
        changed.truncate(250_000);
        changed.complete();
        assertThat(readAll(store, fs().getPath("/changed.edi"))).isEqualTo(Arrays.copyOf(data, 250_000));
        assertThat(listed(store, "/")).containsExactlyInAnyOrder("synced.edi", "changed.edi");
    }

    @Test
    default void aPartLeftMarkedByAnEarlierUploadShouldNotMarkItsReplacement() throws IOException {
        FileStore store = store();
        byte[] data = random(200_000);
        Path path = store.resolve(fs().getPath("/left.bin"));
        Upload first = store.openUpload(path, true, false);
        write(first, data, 0, 150_000);
        first.abandon();
        Path part = home().resolve(PendingUploads.partName("left.bin"));
        PendingUploads.markRewritten(part); // as a crash mid-rewrite leaves it
        boolean marks = PendingUploads.isRewritten(part);
        Upload again = store.openUpload(store.resolve(fs().getPath("/left.bin")), true, false);
        write(again, data, 0, data.length);
        if (marks) {
            assertThat(PendingUploads.isRewritten(part)).as("cleared when the part is replaced").isFalse();
        }
        again.sync();
        again.complete("cd".repeat(32));
        assertThat(readAll(store, fs().getPath("/left.bin"))).isEqualTo(data);
        assertThat(PendingUploads.isRewritten(home().resolve("left.bin"))).isFalse();
        assertThat(recorded(store, "/left.bin")).isEqualTo(userAttributesWork(home()) ? "cd".repeat(32) : null);
    }

    @Test
    default void uploadsOfOneNameRacingShouldEachPublishWholeOrBeToldAnotherIsInProgress() throws Exception {
        race(2, 300, 40_000, 50_000);
    }

    /**
     * Many small uploads of one name at once: a new pending file must never be found by name before its creator
     * holds its lock. Created under the pending name, it could be locked, written and published by another upload
     * in that moment; its creator then wrote into the published file and failed to publish ("no such file").
     */
    @Test
    default void aNewPendingFileShouldNeverBeTakenBeforeItsCreatorLocksIt() throws Exception {
        race(4, 1_500, 100, 300, 700, 900);
    }

    /**
     * {@code racers} threads upload {@code /race.bin} {@code rounds} times each, racer k with {@code sizes[k]}
     * bytes of its own: each upload publishes whole or is told another is in progress, and the file ends as one
     * upload's content, whole.
     */
    private void race(int racers, int rounds, int... sizes) throws Exception {
        FileStore store = store();
        byte[][] contents = new byte[racers][];
        for (int t = 0; t < racers; t++) {
            contents[t] = random(sizes[t]);
        }
        List<Throwable> wrong = Collections.synchronizedList(new ArrayList<>());
        int[] published = new int[racers];
        Thread[] threads = new Thread[racers];
        for (int t = 0; t < racers; t++) {
            int me = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < rounds && wrong.isEmpty(); i++) {
                    try {
                        Upload upload = store.openUpload(store.resolve(fs().getPath("/race.bin")), true, false);
                        write(upload, contents[me], 0, contents[me].length);
                        upload.complete();
                        published[me]++;
                    } catch (StorageException e) {
                        if (!String.valueOf(e.getMessage()).contains("in progress")) {
                            wrong.add(e);
                        }
                    } catch (IOException | RuntimeException e) {
                        wrong.add(e); // a lost part (NoSuchFileException), or anything else
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(wrong).isEmpty();
        assertThat(Arrays.stream(published).sum()).isPositive();
        // whatever won last, the file is one upload's content whole: never cut, never one written into the other
        byte[] file = readAll(store, fs().getPath("/race.bin"));
        assertThat(Arrays.stream(contents).anyMatch(c -> Arrays.equals(c, file)))
                .as("the file is one upload's content, whole").isTrue();
        assertThat(listed(store, "/")).containsExactly("race.bin");
        try (var names = Files.list(home())) {
            assertThat(names.map(p -> p.getFileName().toString())).as("nothing left behind, hidden or not")
                    .containsExactly("race.bin");
        }
    }

    /** Whether the file system under {@code dir} keeps user extended attributes. */
    static boolean userAttributesWork(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, "xattr", ".probe");
        try {
            var view = Files.getFileAttributeView(probe, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            if (view == null) {
                return false;
            }
            view.write("ferry.probe", ByteBuffer.wrap(new byte[] {1}));
            return view.list().contains("ferry.probe");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    private String recorded(FileStore store, String path) throws IOException {
        try (StoredContent content = store.openRead(store.resolve(fs().getPath(path)))) {
            return content.recordedSha256();
        }
    }

    static void write(Upload upload, byte[] data, int offset, int length) throws IOException {
        // in 32 KiB writes, as SFTP clients send them
        for (int at = offset; at < offset + length; at += 32_768) {
            upload.write(ByteBuffer.wrap(data, at, Math.min(32_768, offset + length - at)));
        }
    }

    default void upload(FileStore store, String path, byte[] data) throws IOException {
        Upload upload = store.openUpload(store.resolve(fs().getPath(path)), true, false);
        write(upload, data, 0, data.length);
        upload.complete();
    }

    static byte[] readAll(FileStore store, Path path) throws IOException {
        try (SeekableByteChannel in = store.openRead(store.resolve(path))) {
            ByteBuffer buffer = ByteBuffer.allocate((int) in.size());
            while (buffer.hasRemaining() && in.read(buffer) >= 0) {
                // read on
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        }
    }

    default List<String> listed(FileStore store, String dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = store.list(fs().getPath(dir))) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        }
        return names;
    }
}
