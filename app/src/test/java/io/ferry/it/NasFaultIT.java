package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;

import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import io.ferry.storage.testing.SmallFileSystem;

/**
 * Issue 22, item 3: the NAS under a node (its own JVM) turns read-only, fills up, disappears (unmounted, then
 * mounted again), and is slow and then hangs (a FUSE file system standing in for a network one). Each time:
 * readiness goes down and says why; partners get a clear error; no half file is published; and when the NAS is back
 * the node is ready again and the upload that was cut resumes from what was kept and is published whole, with one
 * row.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NasFaultIT {

    private static final String ADMIN = "nas-fault-admin-secret";
    private static final String PASSWORD = "nas-fault-partner-password";
    private static final List<String> SETTINGS = List.of("--ferry.storage.health-interval=1s",
            "--ferry.storage.min-free-space=4MB", "--ferry.storage.encryption=true");

    Path work;
    TestDatabase.Server db;
    SmallFileSystem disk;
    NodeProcess node;
    SftpClients clients;

    @BeforeAll
    void start() throws Exception {
        work = Files.createTempDirectory("ferry-nas-fault-it-");
        db = TestDatabase.fresh();
        // the NAS: an ext4 volume of its own that turns read-only on an error, as NAS volumes are set to
        disk = SmallFileSystem.ext4(work.resolve("nas"), 64 << 20);
        node = new NodeProcess("node-a", work);
        node.start(db, NodeProcess.randomMasterKey(), ADMIN, List.of(), SETTINGS);
        NodeProcess.awaitStarted(List.of(node));
        node.createAccount(ADMIN, "acme", PASSWORD);
        clients = new SftpClients();
    }

    @AfterAll
    void stop() throws Exception {
        if (clients != null) {
            clients.close();
        }
        if (node != null) {
            node.stop();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    @Order(1)
    void aNasTurnedReadOnlyShouldMakeTheNodeNotReadyAndRefuseInWordsUntilItIsWritable() throws Exception {
        byte[] before = upload(node, "/ro-before.bin", 1);
        remountReadOnly();
        awaitNotReady(node, "Read-only file system");
        assertThat(loginRefusal(node)).contains("Ferry's storage is unavailable; please try again later");
        disk.writable();
        awaitReady(node);
        byte[] after = upload(node, "/ro-after.bin", 2);
        assertPublished(node, "/ro-before.bin", before);
        assertPublished(node, "/ro-after.bin", after);
    }

    @Test
    @Order(2)
    void aNasThatFillsUpShouldCutTheUploadPublishNothingAndLetItResume() throws Exception {
        byte[] data = random(6_000_000, 3);
        Path filler = disk.path().resolve("filler.bin");
        try (SftpClient sftp = clients.sftp(node.sftp, "acme", PASSWORD)) {
            CloseableHandle handle = sftp.open("/full.bin", EnumSet.of(OpenMode.Write, OpenMode.Create,
                    OpenMode.Truncate));
            sftp.write(handle, 0, data, 0, 1_000_000);
            fill(filler); // something else on the NAS takes the rest of its room
            assertThatThrownBy(() -> sftp.write(handle, 1_000_000, data, 1_000_000, data.length - 1_000_000))
                    .hasMessageContaining("no space left on the storage");
            assertThatThrownBy(handle::close).hasMessageContaining("no space left on the storage");
            assertThat(names(sftp)).doesNotContain("full.bin");
        }
        awaitNotReady(node, "ferry.storage.min-free-space");
        assertThat(loginRefusal(node)).contains("Ferry's storage is unavailable");
        assertThat(successRows("/full.bin")).isEmpty();
        Files.delete(filler);
        awaitReady(node);
        resume(node, "/full.bin", data);
        assertPublished(node, "/full.bin", data);
    }

    @Test
    @Order(3)
    void aNasThatDisappearsShouldNeverHaveFilesWrittenBeneathItAndLetTheUploadResumeWhenItIsBack()
            throws Exception {
        byte[] data = random(3_000_000, 4);
        try (SftpClient sftp = clients.sftp(node.sftp, "acme", PASSWORD)) {
            CloseableHandle handle = sftp.open("/gone.bin", EnumSet.of(OpenMode.Write, OpenMode.Create,
                    OpenMode.Truncate));
            sftp.write(handle, 0, data, 0, 1_000_000);
            disk.unmount(); // the NAS goes away under the open upload
            awaitNotReady(node, "has lost its .ferry-storage mark");
            // the upload can go on writing to what it has open, but it is not published where the NAS is not
            assertThatThrownBy(() -> {
                sftp.write(handle, 1_000_000, data, 1_000_000, 500_000);
                handle.close();
            }).hasMessageContaining("storage unavailable: the storage root").hasMessageContaining("not mounted");
        }
        assertThat(loginRefusal(node)).contains("Ferry's storage is unavailable");
        // nothing was written to the directory the NAS was mounted on
        try (var beneath = Files.list(disk.path())) {
            assertThat(beneath.toList()).isEmpty();
        }
        assertThat(successRows("/gone.bin")).isEmpty();
        disk.mountAgain();
        awaitReady(node);
        resume(node, "/gone.bin", data);
        assertPublished(node, "/gone.bin", data);
    }

    @Test
    @Order(4)
    void aSlowNasShouldStillTakeUploadsWholeAndAHungOneShouldMakeTheNodeNotReadyUntilItAnswers() throws Exception {
        Path slowWork = Files.createDirectories(work.resolve("slow"));
        NodeProcess slow = new NodeProcess("node-slow", slowWork);
        try (SlowNas nas = SlowNas.mount(slowWork.resolve("backing"), slowWork.resolve("nas"),
                Duration.ofMillis(20))) {
            try {
                slowAndHung(slow, nas);
            } finally {
                nas.answer();
                slow.stop(); // before the NAS is unmounted under it
            }
        }
    }

    private void slowAndHung(NodeProcess slow, SlowNas nas) throws Exception {
        slow.start(TestDatabase.fresh(), NodeProcess.randomMasterKey(), ADMIN, List.of(), SETTINGS);
        NodeProcess.awaitStarted(List.of(slow));
        slow.createAccount(ADMIN, "acme", PASSWORD);
        long started = System.nanoTime();
        byte[] data = upload(slow, "/slow.bin", 5);
        System.out.printf("a 700 kB upload to a NAS taking 20 ms a write took %d ms%n",
                Duration.ofNanos(System.nanoTime() - started).toMillis());
        assertPublished(slow, "/slow.bin", data);
        assertThat(readiness(slow).statusCode()).isEqualTo(200);

        byte[] held = random(2_000_000, 6);
        try (SftpClient sftp = clients.sftp(slow.sftp, "acme", PASSWORD)) {
            CloseableHandle handle = sftp.open("/hung.bin", EnumSet.of(OpenMode.Write, OpenMode.Create,
                    OpenMode.Truncate));
            sftp.write(handle, 0, held, 0, 1_000_000);
            nas.hang();
            // the probe does not come back: readiness says so without waiting for it, and so does the gauge
            awaitNotReady(slow, "has not answered a probe");
            assertThat(storageUp(slow.get(ADMIN, "/actuator/prometheus").body())).isFalse();
            nas.answer();
            awaitReady(slow);
            sftp.write(handle, 1_000_000, held, 1_000_000, held.length - 1_000_000);
            handle.close();
        }
        assertPublished(slow, "/hung.bin", held);
    }

    /** Whether the storage gauge says up (it must not while the NAS hangs). */
    private static boolean storageUp(String metrics) {
        return metrics.lines().anyMatch(line -> line.startsWith("ferry_storage_up") && line.endsWith(" 1.0"));
    }

    private void remountReadOnly() throws Exception {
        // the kernel refuses while a file is open for writing (the node's probe, for a moment every second)
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> {
                    disk.readOnly();
                    return true;
                });
    }

    /** Fills the file system with a file of its own until the kernel says it is full. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(filler)) {
            for (int i = 0; i < 128; i++) {
                out.write(block);
            }
        } catch (IOException full) {
            return; // no space left: what was wanted
        }
        throw new IllegalStateException("128 MiB fitted on a 64 MiB file system");
    }

    private void resume(NodeProcess target, String path, byte[] data) throws Exception {
        try (SftpClient sftp = clients.sftp(target.sftp, "acme", PASSWORD)) {
            long have = sftp.stat(path).getSize();
            assertThat(have).as("the part kept of %s", path).isPositive().isLessThan(data.length);
            try (CloseableHandle rest = sftp.open(path, EnumSet.of(OpenMode.Write, OpenMode.Append))) {
                sftp.write(rest, have, data, (int) have, data.length - (int) have);
            }
        }
    }

    /**
     * The file is there whole, with one success row: its SHA-256 covers what that upload sent, from its start offset
     * (a resumed upload's row, the resume).
     */
    private void assertPublished(NodeProcess target, String path, byte[] data) throws Exception {
        try (SftpClient sftp = clients.sftp(target.sftp, "acme", PASSWORD); var in = sftp.read(path)) {
            assertThat(SftpOperationsIT.sha256(in.readAllBytes())).as(path).isEqualTo(SftpOperationsIT.sha256(data));
        }
        if (target == node) {
            List<String> rows = successRows(path);
            assertThat(rows).as(path).hasSize(1);
            int from = Integer.parseInt(rows.get(0).split(" ")[0]);
            assertThat(rows.get(0)).as(path).isEqualTo(from + " "
                    + SftpOperationsIT.sha256(Arrays.copyOfRange(data, from, data.length)));
        }
    }

    /** The success rows of uploads of {@code path}: "startOffset sha256". */
    private List<String> successRows(String path) throws Exception {
        return db.column("SELECT CONCAT(start_offset, ' ', sha256) FROM transfers WHERE path = '" + path
                + "' AND direction = 'UPLOAD' AND outcome = 'SUCCESS'");
    }

    /** What a partner who tries to log in now is told (the session's end, as the client reports it). */
    private String loginRefusal(NodeProcess target) {
        try (SftpClient sftp = clients.sftp(target.sftp, "acme", PASSWORD)) {
            throw new AssertionError("logged in while the storage is down");
        } catch (IOException e) {
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            return trace.toString();
        }
    }

    private byte[] upload(NodeProcess target, String path, int seed) throws Exception {
        byte[] data = random(700_000, seed);
        try (SftpClient sftp = clients.sftp(target.sftp, "acme", PASSWORD); var out = sftp.write(path)) {
            out.write(data);
        }
        return data;
    }

    private static List<String> names(SftpClient sftp) throws IOException {
        List<String> names = new ArrayList<>();
        sftp.readDir("/").forEach(entry -> names.add(entry.getFilename()));
        return names;
    }

    private static HttpResponse<String> readiness(NodeProcess target) throws Exception {
        return target.get(ADMIN, "/actuator/health/readiness");
    }

    private static void awaitNotReady(NodeProcess target, String reason) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            HttpResponse<String> ready = readiness(target);
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(503);
            assertThat(ready.body()).contains(reason);
        });
    }

    private static void awaitReady(NodeProcess target) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> assertThat(readiness(target).statusCode()).isEqualTo(200));
    }

    private static byte[] random(int size, int seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }
}
