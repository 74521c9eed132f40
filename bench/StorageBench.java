import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageKeys;
import io.ferry.storage.StorageRoot;
import io.ferry.storage.Upload;

/**
 * Storage-layer throughput: sequential upload (write + fsync + publish) and read, plain and encrypted, with one and
 * four streams, through the same FileStore SPI the protocols use. Run with bench/storage.sh.
 *
 * Arguments: dir [MiB per single stream] [runs]
 */
public class StorageBench {

    static final int CHUNK = 256 * 1024; // what an SFTP server hands the storage per write, roughly

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "bench/results/storage-data");
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        byte[] key = new byte[32];
        new Random(1).nextBytes(key);
        StorageKeys keys = StorageKeys.fromBase64(Map.of("bench", Base64.getEncoder().encodeToString(key)), "bench");

        boolean cold = dropCaches();
        System.out.printf("reads: %s%n%n", cold ? "cold (page cache dropped before each read pass, as from a NAS)"
                : "warm (cannot drop the page cache here: reads come from memory)");
        // A server runs warm: C2 only compiles AES-GCM with the AES-NI/CLMUL intrinsics after a few GiB (on Java 17
        // the first 2 GiB seal at ~1.1 GB/s, later ones at ~6.5 GB/s). Untimed passes until the cipher is warm.
        long warmup = 2L * mib * 1024 * 1024;
        for (long done = 0; done < Math.max(warmup, 4L << 30); done += warmup) {
            for (boolean encrypt : new boolean[] {false, true}) {
                Path root = dir.resolve("warmup-" + System.nanoTime());
                measure(new StorageRoot(root, encrypt ? keys : null, encrypt, Duration.ofMinutes(5), "bench", 0), 1,
                        warmup);
                deleteTree(root);
            }
        }
        System.out.printf("| scenario | write MB/s | read MB/s |%n|---|---|---|%n");
        double[][] results = new double[4][];
        double[][] pairedCost = new double[2][2]; // [streams 1|4][write|read]: median over runs of 1 - enc/plain
        int row = 0;
        for (int streams : new int[] {1, 4}) {
            long bytesPerStream = (long) (streams == 1 ? mib : mib / 4) * 1024 * 1024;
            double[][] write = new double[2][runs];
            double[][] read = new double[2][runs];
            // plain and encrypted interleaved run by run, so drift of this shared machine hits both alike
            for (int run = 0; run < runs; run++) {
                for (int mode = 0; mode < 2; mode++) {
                    boolean encrypt = mode == 1;
                    Path root = dir.resolve("run-" + System.nanoTime());
                    StorageRoot storage = new StorageRoot(root, encrypt ? keys : null, encrypt,
                            Duration.ofMinutes(5), "bench", 0);
                    double[] r = measure(storage, streams, bytesPerStream);
                    write[mode][run] = r[0];
                    read[mode][run] = r[1];
                    deleteTree(root);
                }
            }
            double[] writeCost = new double[runs];
            double[] readCost = new double[runs];
            for (int run = 0; run < runs; run++) {
                writeCost[run] = 1 - write[1][run] / write[0][run];
                readCost[run] = 1 - read[1][run] / read[0][run];
            }
            pairedCost[streams == 1 ? 0 : 1] = new double[] {median(writeCost), median(readCost)};
            for (int mode = 0; mode < 2; mode++) {
                results[row++] = new double[] {median(write[mode]), median(read[mode])};
                System.out.printf("| %d stream%s, %s | %.0f | %.0f |%n", streams, streams == 1 ? "" : "s",
                        mode == 1 ? "encrypted" : "plain", median(write[mode]), median(read[mode]));
            }
        }
        System.out.printf("%nencryption cost, median of the runs' own ratios (each encrypted run against the plain run"
                + " just before it): write %.0f%%, read %.0f%% (1 stream); write %.0f%%, read %.0f%% (4 streams)%n",
                100 * pairedCost[0][0], 100 * pairedCost[0][1], 100 * pairedCost[1][0], 100 * pairedCost[1][1]);
        System.out.printf("encryption cost from the medians above: write %.0f%%, read %.0f%% (1 stream); write %.0f%%, read %.0f%% (4 streams)%n",
                100 * (1 - results[1][0] / results[0][0]), 100 * (1 - results[1][1] / results[0][1]),
                100 * (1 - results[3][0] / results[2][0]), 100 * (1 - results[3][1] / results[2][1]));
    }

    /** @return {write MB/s, read MB/s} over all streams */
    static double[] measure(StorageRoot storage, int streams, long bytes) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(streams);
        try {
            byte[] chunk = new byte[CHUNK];
            new Random(42).nextBytes(chunk);
            long start = System.nanoTime();
            List<Future<?>> writes = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                int n = i;
                writes.add(pool.submit(() -> {
                    FileStore store = storage.open("account" + n, Quota.UNLIMITED);
                    try (FileSystem fs = store.openFileSystem()) {
                        Upload upload = store.openUpload(store.resolve(fs.getPath("/file.bin")), true, false);
                        for (long done = 0; done < bytes; done += CHUNK) {
                            upload.write(ByteBuffer.wrap(chunk, 0, (int) Math.min(CHUNK, bytes - done)));
                        }
                        upload.complete();
                    }
                    return null;
                }));
            }
            for (Future<?> f : writes) {
                f.get();
            }
            double writeSeconds = (System.nanoTime() - start) / 1e9;
            dropCaches();

            start = System.nanoTime();
            List<Future<?>> reads = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                int n = i;
                reads.add(pool.submit(() -> {
                    FileStore store = storage.open("account" + n, Quota.UNLIMITED);
                    try (FileSystem fs = store.openFileSystem();
                            SeekableByteChannel in = store.openRead(store.resolve(fs.getPath("/file.bin")))) {
                        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
                        long total = 0;
                        int r;
                        while ((r = in.read(buffer.clear())) > 0) {
                            total += r;
                        }
                        if (total != bytes) {
                            throw new IOException("read " + total + " of " + bytes);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : reads) {
                f.get();
            }
            double readSeconds = (System.nanoTime() - start) / 1e9;
            double mb = streams * bytes / 1e6;
            return new double[] {mb / writeSeconds, mb / readSeconds};
        } finally {
            pool.shutdownNow();
        }
    }

    /** Empties the page cache (root on Linux), so reads come from the disk. */
    static boolean dropCaches() {
        try {
            Process p = new ProcessBuilder("sh", "-c", "sync && echo 3 > /proc/sys/vm/drop_caches")
                    .redirectErrorStream(true).start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        }
    }
}
