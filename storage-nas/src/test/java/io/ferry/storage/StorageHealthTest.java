package io.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ferry.storage.testing.SmallFileSystem;

/** The health probe that readiness follows, on a real small file system (tmpfs) the test fills up. */
class StorageHealthTest {

    @TempDir
    Path tmp;

    @Test
    void storageThatFillsUpShouldBeReportedDownSoonAfterTheFirstRefusedWrite() throws Exception {
        Path nas = tmp.resolve("nas");
        try (SmallFileSystem disk = SmallFileSystem.mount(nas, 1 << 20)) {
            StorageRoot root = new StorageRoot(nas, null, false, Duration.ofMinutes(5), "test", 0);
            assertThat(root.health().probe().up()).isTrue();
            FileStore store = root.open("acme", Quota.UNLIMITED);
            try (FileSystem files = store.openFileSystem()) {
                Upload upload = store.openUpload(store.resolve(files.getPath("/big.bin")), true, false);
                assertThatThrownBy(() -> {
                    ByteBuffer block = ByteBuffer.allocate(64 * 1024);
                    for (int i = 0; i < 64; i++) {
                        upload.write(block.clear());
                    }
                }).isInstanceOf(StorageFullException.class);
                // no interval to wait for: the refused write had the probe look again
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (root.health().status().up() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(root.health().status().up()).as(root.health().status().detail()).isFalse();
                upload.abandon();
            }
            disk.resize(16 << 20);
            assertThat(root.health().probe().up()).isTrue();
        }
    }

    @Test
    void storageBelowTheFreeSpaceMinimumShouldSayWhichSettingKeepsTheNodeNotReady() throws IOException {
        Path nas = tmp.resolve("small");
        try (SmallFileSystem disk = SmallFileSystem.mount(nas, 4 << 20)) {
            StorageRoot root = new StorageRoot(nas, null, false, Duration.ofMinutes(5), "test", 100_000_000L);
            StorageHealth.Status status = root.health().probe();
            assertThat(status.up()).isFalse();
            assertThat(status.detail()).contains("below the minimum of 100000000")
                    .contains("ferry.storage.min-free-space");
            assertThatThrownBy(() -> {
                FileStore store = root.open("acme", Quota.UNLIMITED);
                try (FileSystem files = store.openFileSystem()) {
                    store.openUpload(files.getPath("/x"), true, false);
                }
            }).isInstanceOf(StorageUnavailableException.class);
        }
    }

    @Test
    void storageUnmountedFromUnderTheRootShouldBeDownAndNothingWrittenBeneath() throws Exception {
        Path nas = tmp.resolve("mounted");
        StorageRoot root;
        try (SmallFileSystem disk = SmallFileSystem.mount(nas, 4 << 20)) {
            root = new StorageRoot(nas, null, false, Duration.ofMinutes(5), "test", 0);
            assertThat(root.health().probe().up()).isTrue();
            assertThat(nas.resolve(StorageHealth.MARK)).exists();
        }
        // the directory it was mounted on is what the root shows now: empty, on the local disk
        StorageHealth.Status status = root.health().probe();
        assertThat(status.up()).isFalse();
        assertThat(status.detail()).contains("lost its .ferry-storage mark").contains("not mounted");
        assertThat(nas).isEmptyDirectory();
        assertThatThrownBy(() -> root.open("acme", Quota.UNLIMITED)).isInstanceOf(StorageUnavailableException.class)
                .hasMessageContaining("not mounted");
        assertThat(nas).isEmptyDirectory();
    }

    @Test
    void nodesProbingAFreshRootAtOnceShouldAllFindTheOneMarkWhole() throws Exception {
        Path nas = Files.createDirectories(tmp.resolve("fresh"));
        List<StorageHealth> nodes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            nodes.add(new StorageHealth(nas, "node-" + i, 0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(nodes.size());
        try {
            List<Future<StorageHealth.Status>> probes = new ArrayList<>();
            nodes.forEach(node -> probes.add(pool.submit(node::probe)));
            for (Future<StorageHealth.Status> probe : probes) {
                StorageHealth.Status status = probe.get(30, TimeUnit.SECONDS);
                assertThat(status.up()).as(status.detail()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        // one mark, whole, and no draft left beside it; every node sees it again on its next probe
        try (var names = Files.list(nas)) {
            assertThat(names.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(StorageHealth.MARK,
                    ".ferry-health");
        }
        assertThat(Files.readString(nas.resolve(StorageHealth.MARK)).trim()).matches("[0-9a-f]{32}");
        nodes.forEach(node -> assertThat(node.probe().up()).isTrue());
    }

    @Test
    void aMarkThatIsALinkShouldNotBeFollowed() throws Exception {
        Path nas = Files.createDirectories(tmp.resolve("linked"));
        Path elsewhere = Files.writeString(tmp.resolve("elsewhere"), "0123456789abcdef0123456789abcdef\n");
        Files.createSymbolicLink(nas.resolve(StorageHealth.MARK), elsewhere);
        StorageHealth.Status status = new StorageHealth(nas, "node", 0).probe();
        assertThat(status.up()).isFalse();
        assertThat(status.detail()).contains("is not a small regular file");
    }
}
