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
import java.time.Duration;
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
 * Ferry against OpenSSH's sftp-server, same machine, same client, same cipher, interleaved A/B. Run with
 * bench/sftp.sh, which builds Ferry and installs openssh-server if needed.
 *
 * Arguments: ferry.jar workDir runs MiB
 */
public class SftpBench {

    static final String AES = "aes128-gcm@openssh.com";
    static final String CHACHA = "chacha20-poly1305@openssh.com";
    static final int STREAMS = 8;
    static final int STREAM_MIB = 256;
    static final int SMALL_FILES = 2000;
    static final int SMALL_SIZE = 4096;
    static final int SESSIONS = 200;
    static final long CLK_TCK = 100;

    static Path work;
    static Path key;
    static final List<Process> started = new ArrayList<>();

    /** A server under test: how to reach it and where its sessions start. */
    record Server(String name, String user, int port, String remoteDir, Process process, Path data) {
        /** CPU seconds the server has used so far (its own, plus reaped children's for the forking sshd). */
        double cpuSeconds() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields from 3 on: utime is 14, stime 15, cutime 16, cstime 17 (1-based in proc(5))
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / (double) CLK_TCK;
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

    /** name -> samples, in insertion order */
    static final Map<String, List<Double>> samples = new LinkedHashMap<>();

    static void record(String name, double value) {
        samples.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        work = Path.of(args[1]).toAbsolutePath();
        int runs = Integer.parseInt(args[2]);
        int mib = Integer.parseInt(args[3]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));
        deleteTree(work);
        Files.createDirectories(work);
        key = work.resolve("client_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        Path data = work.resolve("data");
        Files.createDirectories(data.resolve("small"));
        writeRandom(data.resolve("big.bin"), (long) mib << 20, 1);
        writeRandom(data.resolve("stream.bin"), (long) STREAM_MIB << 20, 2);
        writeRandom(data.resolve("one.bin"), 1 << 20, 3);
        for (int i = 0; i < SMALL_FILES; i++) {
            writeRandom(data.resolve("small/f" + i + ".edi"), SMALL_SIZE, 100 + i);
        }

        Server openssh = startOpenSsh();
        Server ferry = startFerry("ferry-plain", jar, false);
        Server encrypted = startFerry("ferry-encrypted", jar, true);
        System.out.printf("machine: %d cores, %s; client and reference: %s; Ferry on %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), firstLine(List.of("ssh", "-V")),
                firstLine(List.of(javaBinary(), "-version")));

        // untimed: a server runs warm (Ferry's JIT compiles its hot paths, both get the files into the page cache)
        for (Server s : List.of(ferry, encrypted, openssh)) {
            for (String cipher : List.of(AES, CHACHA)) {
                sftp(s, cipher, "put " + data.resolve("big.bin") + " big.bin\nget big.bin /dev/null");
            }
            sftp(s, AES, "mkdir warmup\ncd warmup\nput " + data.resolve("small") + "/*");
        }
        double[] cpuAtStart = {ferry.cpuSeconds(), openssh.cpuSeconds()};
        double[] bulkBytes = {0, 0};
        double[] bulkCpu = {0, 0};
        for (int r = 0; r < runs; r++) {
            System.out.printf("run %d of %d%n", r + 1, runs);
            // A/B order alternates run by run, so the machine's drift hits both alike
            List<Server> pair = r % 2 == 0 ? List.of(ferry, openssh) : List.of(openssh, ferry);
            for (String cipher : selected("single") ? List.of(AES, CHACHA) : List.<String>of()) {
                String c = cipher.equals(AES) ? "aes128-gcm" : "chacha20-poly1305";
                for (Server s : pair) {
                    double cpu = s.cpuSeconds();
                    record(key(s, "1 stream upload " + c), mbps((long) mib << 20,
                            sftp(s, cipher, "put " + data.resolve("big.bin") + " big.bin")));
                    record(key(s, "1 stream upload, durable (put -f) " + c), mbps((long) mib << 20,
                            sftp(s, cipher, "put -f " + data.resolve("big.bin") + " big.bin")));
                    record(key(s, "1 stream download " + c), mbps((long) mib << 20,
                            sftp(s, cipher, "get big.bin /dev/null")));
                    int i = s == ferry ? 0 : 1;
                    bulkBytes[i] += 3.0 * ((long) mib << 20);
                    bulkCpu[i] += s.cpuSeconds() - cpu;
                }
            }
            for (Server s : selected("streams") ? pair : List.<Server>of()) {
                double cpu = s.cpuSeconds();
                long total = (long) STREAMS * STREAM_MIB << 20;
                record(key(s, STREAMS + " streams upload aes128-gcm"), mbps(total, parallel(s, STREAMS,
                        i -> "put " + data.resolve("stream.bin") + " stream-" + i + ".bin").wall));
                record(key(s, STREAMS + " streams upload, durable (put -f) aes128-gcm"), mbps(total, parallel(s,
                        STREAMS, i -> "put -f " + data.resolve("stream.bin") + " stream-" + i + ".bin").wall));
                record(key(s, STREAMS + " streams download aes128-gcm"), mbps(total, parallel(s, STREAMS,
                        i -> "get stream-" + i + ".bin /dev/null").wall));
                int i = s == ferry ? 0 : 1;
                bulkBytes[i] += 3.0 * total;
                bulkCpu[i] += s.cpuSeconds() - cpu;
            }
            for (Server s : selected("small") ? pair : List.<Server>of()) {
                String dir = "small-" + r;
                double seconds = sftp(s, AES, "mkdir " + dir + "\ncd " + dir + "\nput " + data.resolve("small") + "/*");
                record(key(s, SMALL_FILES + " x 4 KiB in one session (files/s)"), SMALL_FILES / seconds);
                seconds = sftp(s, AES, "mkdir " + dir + "f\ncd " + dir + "f\nput -f " + data.resolve("small") + "/*");
                record(key(s, SMALL_FILES + " x 4 KiB in one session, durable (put -f) (files/s)"),
                        SMALL_FILES / seconds);
            }
            for (Server s : selected("sessions") ? pair : List.<Server>of()) {
                Parallel p = parallel(s, SESSIONS, i -> "put " + data.resolve("one.bin") + " session-" + i + ".bin");
                record(key(s, SESSIONS + " sessions x 1 MiB: total s"), p.wall);
                double[] times = p.times.clone();
                Arrays.sort(times);
                record(key(s, SESSIONS + " sessions x 1 MiB: p50 session s"), percentile(times, 50));
                record(key(s, SESSIONS + " sessions x 1 MiB: p99 session s"), percentile(times, 99));
                record(key(s, SESSIONS + " sessions x 1 MiB: failures"), p.failures);
            }
            List<Server> at = !selected("encryption") ? List.<Server>of()
                    : r % 2 == 0 ? List.of(ferry, encrypted) : List.of(encrypted, ferry);
            for (Server s : at) {
                record("5|" + s.name + "|1 stream upload aes128-gcm", mbps((long) mib << 20,
                        sftp(s, AES, "put " + data.resolve("big.bin") + " big.bin")));
                record("5|" + s.name + "|1 stream download aes128-gcm", mbps((long) mib << 20,
                        sftp(s, AES, "get big.bin /dev/null")));
            }
        }
        report(ferry, openssh, encrypted, bulkBytes, bulkCpu, cpuAtStart);
        for (Server s : List.of(ferry, encrypted, openssh)) {
            s.process.destroy();
            s.process.waitFor(20, TimeUnit.SECONDS);
        }
        deleteTree(data);
        for (Server s : List.of(ferry, encrypted, openssh)) {
            deleteTree(s.data);
        }
    }

    /**
     * Whether a group of scenarios runs: {@code FERRY_BENCH_ONLY} lists the groups to run ({@code single},
     * {@code streams}, {@code small}, {@code sessions}, {@code encryption}); unset, all of them.
     */
    static boolean selected(String group) {
        String only = System.getenv("FERRY_BENCH_ONLY");
        return only == null || only.isBlank() || Arrays.asList(only.split("\\s*,\\s*")).contains(group);
    }

    static String key(Server s, String scenario) {
        return (s.name.equals("OpenSSH") ? "OpenSSH" : "Ferry") + "|" + scenario;
    }

    static void report(Server ferry, Server openssh, Server encrypted, double[] bulkBytes, double[] bulkCpu,
            double[] cpuAtStart) throws IOException {
        System.out.println();
        System.out.println("| scenario | Ferry | OpenSSH | Ferry / OpenSSH |");
        System.out.println("|---|---|---|---|");
        List<String> scenarios = samples.keySet().stream().filter(k -> k.startsWith("Ferry|"))
                .map(k -> k.substring("Ferry|".length())).toList();
        for (String scenario : scenarios) {
            double f = median(samples.get("Ferry|" + scenario));
            double o = median(samples.get("OpenSSH|" + scenario));
            boolean rate = !scenario.contains(":");
            String unit = scenario.contains("files/s") ? "" : rate ? " (MB/s)" : "";
            String ratio = scenario.endsWith("failures") ? "" : String.format(Locale.ROOT, "%.2f", f / o);
            System.out.printf(Locale.ROOT, "| %s%s | %s | %s | %s |%n", scenario, unit, format(f), format(o), ratio);
        }
        System.out.println();
        if (selected("encryption")) {
            System.out.println("| at-rest encryption, Ferry | plain | encrypted | encrypted / plain |");
            System.out.println("|---|---|---|---|");
            for (String scenario : List.of("1 stream upload aes128-gcm", "1 stream download aes128-gcm")) {
                double p = median(samples.get("5|" + ferry.name + "|" + scenario));
                double e = median(samples.get("5|" + encrypted.name + "|" + scenario));
                System.out.printf(Locale.ROOT, "| %s (MB/s) | %s | %s | %.2f |%n", scenario, format(p), format(e),
                        e / p);
            }
        }
        System.out.println();
        System.out.println("Every run's figure, in run order:");
        samples.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %s: %s%n", name.replace('|', ' '),
                values.stream().map(SftpBench::format).toList()));
        System.out.println();
        double gib = 1024.0 * 1024 * 1024;
        System.out.printf(Locale.ROOT, "CPU seconds per GiB moved (single and %d-stream transfers): Ferry %.2f, "
                + "OpenSSH %.2f (sshd and its sessions)%n", STREAMS, bulkCpu[0] / (bulkBytes[0] / gib),
                bulkCpu[1] / (bulkBytes[1] / gib));
        System.out.printf(Locale.ROOT, "Ferry peak RSS: %d MiB (plain node), %d MiB (encrypted node); CPU seconds "
                + "over the whole bench: Ferry %.0f, OpenSSH %.0f%n", ferry.peakRssKib() / 1024,
                encrypted.peakRssKib() / 1024, ferry.cpuSeconds() - cpuAtStart[0],
                openssh.cpuSeconds() - cpuAtStart[1]);
    }

    static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    // ---- servers

    static Server startOpenSsh() throws Exception {
        Path dir = work.resolve("openssh");
        Path files = dir.resolve("files");
        Files.createDirectories(files);
        Path hostKey = dir.resolve("host_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString()));
        Files.copy(Path.of(key + ".pub"), dir.resolve("authorized_keys"));
        int port = freePort();
        String user = System.getProperty("user.name");
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKey,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
                "AllowUsers " + user,
                "PermitRootLogin prohibit-password",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "UseDNS no",
                // the default 10:30:100 would drop most of the 200 concurrent logins: the reference is not held back
                "MaxStartups 1000",
                "Ciphers " + AES + "," + CHACHA,
                "Subsystem sftp /usr/lib/openssh/sftp-server",
                "LogLevel ERROR", ""));
        if ("root".equals(user)) {
            Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
        }
        ProcessBuilder pb = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile());
        Process p = pb.start();
        started.add(p);
        Server server = new Server("OpenSSH", user, port, files.toString(), p, dir);
        awaitPort(port, p, dir.resolve("sshd.log"));
        return server;
    }

    static Server startFerry(String name, Path jar, boolean encrypted) throws Exception {
        Path dir = work.resolve(name);
        Files.createDirectories(dir);
        int http = freePort();
        int sftp = freePort();
        String password = "bench-" + Long.toHexString(new Random().nextLong());
        List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-modules", "jdk.incubator.vector",
                "-jar", jar.toString(), "--ferry.data-dir=" + dir.resolve("data"), "--server.port=" + http, "--server.address=127.0.0.1",
                "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1",
                // every bench client comes from 127.0.0.1: no door limits
                "--ferry.sftp.limits.allow-list=127.0.0.1", "--ferry.sftp.limits.max-startups=100000",
                "--ferry.sftp.ciphers=" + AES + "," + CHACHA, "--ferry.storage.encryption=" + encrypted,
                "--ferry.ftps.enabled=false", "--ferry.cluster.port=" + freePort(), "--logging.level.root=WARN"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ferry.log").toFile());
        pb.environment().put("FERRY_ADMIN_PASSWORD", password);
        Process p = pb.start();
        started.add(p);
        HttpClient http2 = HttpClient.newHttpClient();
        String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + dir.resolve("ferry.log"));
            }
            try {
                HttpResponse<String> r = http2.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " did not become ready; see " + dir.resolve("ferry.log"));
            }
            Thread.sleep(250);
        }
        post(http2, auth, "http://127.0.0.1:" + http + "/api/v1/accounts", "{\"username\":\"bench\"}");
        String publicKey = Files.readString(Path.of(key + ".pub")).trim();
        post(http2, auth, "http://127.0.0.1:" + http + "/api/v1/accounts/bench/keys",
                "{\"publicKey\":\"" + publicKey + "\"}");
        return new Server(name, "bench", sftp, "/", p, dir);
    }

    static void post(HttpClient client, String auth, String url, String json) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    // ---- clients

    /** Runs one sftp batch session; returns its wall time in seconds, or fails the bench. */
    static double sftp(Server s, String cipher, String commands) throws Exception {
        quietDisk();
        Process p = startSftp(s, cipher, commands, "single");
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

    static void awaitPort(int port, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("server exited: " + Files.readString(log));
            }
            try (java.net.Socket ignored = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on " + port);
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
