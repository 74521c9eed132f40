import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Throughput through the edge gateway against straight to the node it relays to, same client (stock OpenSSH sftp),
 * same cipher, interleaved A/B; then many concurrent sessions through one edge. Run with bench/edge.sh.
 *
 * Arguments: ferry.jar ferry-edge.jar workDir runs MiB sessions
 */
public class EdgeBench {

    static final String AES = "aes128-gcm@openssh.com";
    static final int STREAMS = 8;
    static final int STREAM_MIB = 256;
    static final long CLK_TCK = 100;

    static Path work;
    static Path key;
    static final List<Process> started = new ArrayList<>();

    /** Where a client connects: the node itself, or the edge in front of it. */
    record Server(String name, String user, int port, String remoteDir, Process process) {
        double cpuSeconds() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK;
        }

        long peakRssKib() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return -1;
        }
    }

    static final Map<String, List<Double>> samples = new LinkedHashMap<>();

    static void record(String name, double value) {
        samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        Path edgeJar = Path.of(args[1]).toAbsolutePath();
        work = Path.of(args[2]).toAbsolutePath();
        int runs = Integer.parseInt(args[3]);
        int mib = Integer.parseInt(args[4]);
        int sessions = Integer.parseInt(args[5]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));
        deleteTree(work);
        Files.createDirectories(work);
        key = work.resolve("client_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        Path data = work.resolve("data");
        Files.createDirectories(data);
        writeRandom(data.resolve("big.bin"), (long) mib << 20, 1);
        writeRandom(data.resolve("stream.bin"), (long) STREAM_MIB << 20, 2);
        writeRandom(data.resolve("one.bin"), 1 << 20, 3);

        Server node = startNode(jar);
        Server edge = startEdge(edgeJar, node);
        System.out.printf("machine: %d cores, %s; client: %s; Ferry and its edge on %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), firstLine(List.of("ssh", "-V")),
                firstLine(List.of(javaBinary(), "-version")));

        for (Server s : List.of(node, edge)) { // untimed: both run warm
            sftp(s, "put " + data.resolve("big.bin") + " big.bin\nget big.bin /dev/null");
        }
        double edgeCpu = 0;
        double edgeBytes = 0;
        for (int r = 0; r < runs; r++) {
            System.out.printf("run %d of %d%n", r + 1, runs);
            List<Server> pair = r % 2 == 0 ? List.of(node, edge) : List.of(edge, node);
            for (Server s : pair) {
                double cpu = edge.cpuSeconds();
                record(s.name + "|1 stream upload", mbps((long) mib << 20,
                        sftp(s, "put " + data.resolve("big.bin") + " big.bin")));
                record(s.name + "|1 stream download", mbps((long) mib << 20, sftp(s, "get big.bin /dev/null")));
                long total = (long) STREAMS * STREAM_MIB << 20;
                record(s.name + "|" + STREAMS + " streams upload", mbps(total, parallel(s, STREAMS,
                        i -> "put " + data.resolve("stream.bin") + " stream-" + i + ".bin").wall));
                record(s.name + "|" + STREAMS + " streams download", mbps(total, parallel(s, STREAMS,
                        i -> "get stream-" + i + ".bin /dev/null").wall));
                if (s == edge) {
                    edgeCpu += edge.cpuSeconds() - cpu;
                    edgeBytes += 2.0 * ((long) mib << 20) + 2.0 * total;
                }
            }
            Parallel p = parallel(edge, sessions, i -> "put " + data.resolve("one.bin") + " session-" + i + ".bin");
            double[] times = p.times.clone();
            Arrays.sort(times);
            record("sessions|total s", p.wall);
            record("sessions|p50 session s", percentile(times, 50));
            record("sessions|p99 session s", percentile(times, 99));
            record("sessions|failures", p.failures);
        }

        System.out.println();
        System.out.println("| scenario (MB/s) | through the edge | straight to the node | edge / direct |");
        System.out.println("|---|---|---|---|");
        for (String scenario : List.of("1 stream upload", "1 stream download", STREAMS + " streams upload",
                STREAMS + " streams download")) {
            double e = median(samples.get("edge|" + scenario));
            double d = median(samples.get("node|" + scenario));
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %.2f |%n", scenario, format(e), format(d), e / d);
        }
        System.out.println();
        System.out.printf("| %d sessions through one edge, each a key login and a 1 MiB upload | median |%n", sessions);
        System.out.println("|---|---|");
        for (String scenario : List.of("total s", "p50 session s", "p99 session s", "failures")) {
            System.out.printf(Locale.ROOT, "| %s | %s |%n", scenario, format(median(samples.get("sessions|" + scenario))));
        }
        System.out.println();
        System.out.println("Every run's figure, in run order:");
        samples.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %s: %s%n", name.replace('|', ' '),
                values.stream().map(EdgeBench::format).toList()));
        double gib = 1024.0 * 1024 * 1024;
        System.out.printf(Locale.ROOT, "%nEdge: %.2f CPU seconds per GiB relayed; peak RSS %d MiB (node: %d MiB)%n",
                edgeCpu / (edgeBytes / gib), edge.peakRssKib() / 1024, node.peakRssKib() / 1024);
        for (Server s : List.of(edge, node)) {
            s.process.destroy();
            s.process.waitFor(20, TimeUnit.SECONDS);
        }
        deleteTree(work);
    }

    static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    // ---- the node and the edge

    static String auth;
    static int http;

    static Server startNode(Path jar) throws Exception {
        Path dir = work.resolve("node");
        Files.createDirectories(dir);
        http = freePort();
        int sftp = freePort();
        int internal = freePort();
        String password = "bench-" + Long.toHexString(new Random().nextLong());
        ProcessBuilder pb = new ProcessBuilder(javaBinary(), "-jar", jar.toString(),
                "--ferry.data-dir=" + dir.resolve("data"), "--server.port=" + http, "--server.address=127.0.0.1",
                "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.enabled=false",
                "--ferry.sftp.limits.allow-list=127.0.0.1", "--ferry.sftp.limits.max-startups=100000",
                "--ferry.edge-listener.enabled=true", "--ferry.edge-listener.port=" + internal,
                "--ferry.edge-listener.bind-address=127.0.0.1", "--ferry.storage.encryption=false",
                "--ferry.cluster.port=" + freePort(), "--logging.level.root=WARN")
                .redirectErrorStream(true).redirectOutput(dir.resolve("ferry.log").toFile());
        pb.environment().put("FERRY_ADMIN_PASSWORD", password);
        Process p = pb.start();
        started.add(p);
        auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        awaitHttp(http, "/actuator/health/readiness", p, dir.resolve("ferry.log"));
        post("/api/v1/accounts", "{\"username\":\"bench\"}");
        post("/api/v1/accounts/bench/keys", "{\"publicKey\":\"" + Files.readString(Path.of(key + ".pub")).trim() + "\"}");
        internalPort = internal;
        return new Server("node", "bench", sftp, "/", p);
    }

    static int internalPort;

    static Server startEdge(Path jar, Server node) throws Exception {
        Path dir = work.resolve("edge");
        Files.createDirectories(dir);
        String registered = post("/api/v1/edges", "{\"name\":\"bench-edge\"}");
        String secret = field(registered, "secret");
        String keys = registered.substring(registered.indexOf("\"hostKeys\":[") + 12, registered.indexOf(']',
                registered.indexOf("\"hostKeys\""))).replace("\"", "");
        int edgeHttp = freePort();
        int sftp = freePort();
        List<String> edgeCommand = new ArrayList<>(List.of(javaBinary(), "-jar", jar.toString(),
                "--server.port=" + edgeHttp, "--server.address=127.0.0.1", "--ferry.edge.name=bench-edge",
                "--ferry.edge.secret=" + secret, "--ferry.edge.backends=127.0.0.1:" + internalPort,
                "--ferry.edge.backend-host-keys=" + keys, "--ferry.edge.sftp.port=" + sftp,
                "--ferry.edge.sftp.bind-address=127.0.0.1", "--ferry.edge.limits.max-sessions=5000",
                "--ferry.edge.limits.max-per-address=5000", "--ferry.edge.limits.connections-per-minute=100000",
                "--ferry.edge.limits.max-startups=100000",
                "--logging.level.root=WARN"));
        // FERRY_EDGE_ARGS: more settings for the edge, space-separated (an A/B of one of them)
        String extra = System.getenv("FERRY_EDGE_ARGS");
        if (extra != null && !extra.isBlank()) {
            edgeCommand.addAll(List.of(extra.trim().split("\\s+")));
        }
        ProcessBuilder pb = new ProcessBuilder(edgeCommand)
                .redirectErrorStream(true).redirectOutput(dir.resolve("edge.log").toFile());
        Process p = pb.start();
        started.add(p);
        awaitHttp(edgeHttp, "/actuator/health", p, dir.resolve("edge.log"));
        return new Server("edge", "bench", sftp, "/", p);
    }

    static String field(String json, String name) {
        int at = json.indexOf("\"" + name + "\":\"") + name.length() + 4;
        return json.substring(at, json.indexOf('"', at));
    }

    static String post(String path, String json) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http + path)).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    static void awaitHttp(int port, String path, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        HttpClient client = HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("exited; see " + log);
            }
            try {
                if (client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("not ready in time; see " + log);
    }

    // ---- clients

    static double sftp(Server s, String commands) throws Exception {
        quietDisk();
        Process p = startSftp(s, AES, commands, "single");
        long start = System.nanoTime();
        int exit = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(s.name + ": sftp failed (" + exit + "): "
                    + Files.readString(work.resolve("batch-single.out")));
        }
        return seconds;
    }

    record Parallel(double wall, double[] times, int failures) {
    }

    /** n sftp sessions started together; each session's time and the time until the last one ended. */
    static Parallel parallel(Server s, int n, Function<Integer, String> commands) throws Exception {
        quietDisk();
        Process[] processes = new Process[n];
        long[] starts = new long[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            starts[i] = System.nanoTime();
            processes[i] = startSftp(s, AES, commands.apply(i), "p" + i);
        }
        double[] times = new double[n];
        int failures = 0;
        long[] ends = new long[n];
        // each process's end is taken when it exits, not when this loop gets to it
        var exits = new java.util.concurrent.CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            exits[i] = processes[i].onExit().thenRun(() -> ends[k] = System.nanoTime());
        }
        java.util.concurrent.CompletableFuture.allOf(exits).get(30, TimeUnit.MINUTES);
        long last = start;
        for (int i = 0; i < n; i++) {
            times[i] = (ends[i] - starts[i]) / 1e9;
            last = Math.max(last, ends[i]);
            if (processes[i].exitValue() != 0) {
                failures++;
                if (failures <= 3) {
                    System.out.println(s.name + ": session " + i + " failed: "
                            + Files.readString(work.resolve("batch-p" + i + ".out")).trim());
                }
            }
        }
        return new Parallel((last - start) / 1e9, times, failures);
    }

    static Process startSftp(Server s, String cipher, String commands, String batchName) throws IOException {
        Path batch = work.resolve("batch-" + batchName);
        Files.writeString(batch, "cd " + s.remoteDir + "\n" + commands + "\n");
        Process p = new ProcessBuilder("sftp", "-q", "-b", batch.toString(), "-i", key.toString(),
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "Ciphers=" + cipher, "-P", String.valueOf(s.port),
                s.user + "@127.0.0.1").redirectErrorStream(true)
                .redirectOutput(work.resolve("batch-" + batchName + ".out").toFile()).start();
        p.getOutputStream().close();
        return p;
    }

    // ---- helpers

    /**
     * Writes back all dirty pages before a timed session: a server that does not fsync (OpenSSH's default) leaves its
     * upload in the page cache, and its writeback would otherwise land in the next measurement, often the other
     * server's.
     */
    static void quietDisk() throws Exception {
        run(List.of("sync"));
    }

    static double mbps(long bytes, double seconds) {
        return bytes / seconds / 1e6;
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    static void writeRandom(Path file, long size, long seed) throws IOException {
        Random random = new Random(seed);
        byte[] buffer = new byte[(int) Math.min(size, 1 << 20)];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += buffer.length) {
                random.nextBytes(buffer);
                out.write(buffer, 0, (int) Math.min(buffer.length, size - done));
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
    }

    static String firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse("?").trim();
        } catch (Exception e) {
            return "?";
        }
    }

    /** The JVM Ferry runs on: FERRY_JAVA, else the one running the bench. */
    static String javaBinary() {
        String configured = System.getenv("FERRY_JAVA");
        return configured != null && !configured.isBlank() ? configured
                : Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String cpuModel() throws IOException {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
