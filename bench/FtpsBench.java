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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Ferry's FTPS against vsftpd, same machine, same client (curl), same TLS 1.2 cipher, interleaved A/B. Run with
 * bench/ftps.sh, which builds Ferry, installs vsftpd if needed and provides the PAM service vsftpd logs in through.
 *
 * Arguments: ferry.jar workDir vsftpdHome runs MiB (vsftpdHome: the bench login's home directory, its files land there)
 */
public class FtpsBench {

    /** Pinned for both servers: the suite Ferry's data connections prefer, ECDSA as both certificates are. */
    static final String CIPHER = "ECDHE-ECDSA-AES128-GCM-SHA256";
    static final int STREAMS = 8;
    static final int STREAM_MIB = 128;
    static final int SMALL_FILES = 500;
    static final int SMALL_SIZE = 4096;
    static final int SESSIONS = 100;
    static final long CLK_TCK = 100;
    static final String PASSWORD = "bench-" + Long.toHexString(new Random().nextLong());

    static Path work;
    static final List<Process> started = new ArrayList<>();

    /** A server under test: how to reach it and where its files land on disk. */
    record Server(String name, String user, int port, Process process, Path files) {
        /** CPU seconds the server has used so far (its own, plus reaped children's for the forking vsftpd). */
        double cpuSeconds() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
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

        String url(String path) {
            return "ftp://127.0.0.1:" + port + "/" + path;
        }
    }

    static final Map<String, List<Double>> samples = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        work = Path.of(args[1]).toAbsolutePath();
        Path vsftpdHome = Path.of(args[2]).toAbsolutePath();
        int runs = Integer.parseInt(args[3]);
        int mib = Integer.parseInt(args[4]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));
        deleteTree(work);
        Files.createDirectories(work);
        Path data = work.resolve("data");
        Files.createDirectories(data.resolve("small"));
        writeRandom(data.resolve("big.bin"), (long) mib << 20, 1);
        writeRandom(data.resolve("stream.bin"), (long) STREAM_MIB << 20, 2);
        writeRandom(data.resolve("one.bin"), 1 << 20, 3);
        for (int i = 0; i < SMALL_FILES; i++) {
            writeRandom(data.resolve("small/f" + i + ".edi"), SMALL_SIZE, 100 + i);
        }

        Server vsftpd = startVsftpd(vsftpdHome);
        Server ferry = startFerry(jar);
        System.out.printf("machine: %d cores, %s; client: %s; reference: vsftpd %s; Ferry on %s; cipher %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), firstLine(List.of("curl", "--version")),
                firstLine(List.of("dpkg-query", "-W", "-f=${Version}", "vsftpd")),
                firstLine(List.of(javaBinary(), "-version")), CIPHER);

        // untimed: Ferry's JIT compiles its hot paths, both get the files into the page cache
        for (Server s : List.of(ferry, vsftpd)) {
            for (int i = 0; i < 2; i++) {
                curl(s, "-T", data.resolve("big.bin").toString(), s.url("big.bin"));
                curl(s, "-o", "/dev/null", s.url("big.bin"));
            }
        }
        double[] cpuAtStart = {ferry.cpuSeconds(), vsftpd.cpuSeconds()};
        double[] bulkBytes = {0, 0};
        double[] bulkCpu = {0, 0};
        for (int r = 0; r < runs; r++) {
            System.out.printf("run %d of %d%n", r + 1, runs);
            List<Server> pair = r % 2 == 0 ? List.of(ferry, vsftpd) : List.of(vsftpd, ferry);
            for (Server s : pair) {
                int i = s == ferry ? 0 : 1;
                double cpu = s.cpuSeconds();
                long bytes = (long) mib << 20;
                record(s, "1 stream upload (MB/s)", mbps(bytes,
                        curl(s, "-T", data.resolve("big.bin").toString(), s.url("big.bin"))));
                record(s, "1 stream download (MB/s)", mbps(bytes, curl(s, "-o", "/dev/null", s.url("big.bin"))));
                long total = (long) STREAMS * STREAM_MIB << 20;
                record(s, STREAMS + " streams upload (MB/s)", mbps(total, parallel(s, STREAMS,
                        k -> List.of("-T", data.resolve("stream.bin").toString(), s.url("stream-" + k + ".bin"))).wall));
                record(s, STREAMS + " streams download (MB/s)", mbps(total, parallel(s, STREAMS,
                        k -> List.of("-o", "/dev/null", s.url("stream-" + k + ".bin"))).wall));
                bulkBytes[i] += 2.0 * bytes + 2.0 * total;
                bulkCpu[i] += s.cpuSeconds() - cpu;
            }
            for (Server s : pair) {
                // one session, one upload after the other on the same control connection. lftp, not curl: curl 7.88
                // stalls a second before a data connection whenever the EPSV reply comes back very fast
                double seconds = lftp(s, "mkdir small-" + r + "; cd small-" + r + "; lcd " + data.resolve("small")
                        + "; mput *.edi");
                record(s, SMALL_FILES + " x 4 KiB in one session (files/s)", SMALL_FILES / seconds);
            }
            for (Server s : pair) {
                Parallel p = parallel(s, SESSIONS,
                        k -> List.of("-T", data.resolve("one.bin").toString(), s.url("session-" + k + ".bin")));
                record(s, SESSIONS + " sessions x 1 MiB: total s", p.wall);
                double[] times = p.times.clone();
                Arrays.sort(times);
                record(s, SESSIONS + " sessions x 1 MiB: p50 session s", percentile(times, 50));
                record(s, SESSIONS + " sessions x 1 MiB: p99 session s", percentile(times, 99));
                record(s, SESSIONS + " sessions x 1 MiB: failures", p.failures);
            }
        }
        report(ferry, vsftpd, bulkBytes, bulkCpu, cpuAtStart);
        for (Server s : List.of(ferry, vsftpd)) {
            s.process.destroy();
            s.process.waitFor(20, TimeUnit.SECONDS);
        }
        deleteTree(data);
        deleteTree(ferry.files.getParent());
        try (Stream<Path> left = Files.list(vsftpd.files)) {
            for (Path p : left.toList()) {
                deleteTree(p);
            }
        }
    }

    static void record(Server s, String scenario, double value) {
        samples.computeIfAbsent(s.name + "|" + scenario, k -> new ArrayList<>()).add(value);
    }

    static void report(Server ferry, Server vsftpd, double[] bulkBytes, double[] bulkCpu, double[] cpuAtStart)
            throws IOException {
        System.out.println();
        System.out.println("| scenario | Ferry | vsftpd | Ferry / vsftpd |");
        System.out.println("|---|---|---|---|");
        List<String> scenarios = samples.keySet().stream().filter(k -> k.startsWith("Ferry|"))
                .map(k -> k.substring("Ferry|".length())).toList();
        for (String scenario : scenarios) {
            double f = median(samples.get("Ferry|" + scenario));
            double v = median(samples.get("vsftpd|" + scenario));
            String ratio = scenario.endsWith("failures") ? "" : String.format(Locale.ROOT, "%.2f", f / v);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", scenario, format(f), format(v), ratio);
        }
        System.out.println();
        System.out.println("Every run's figure, in run order:");
        samples.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %s: %s%n", name.replace('|', ' '),
                values.stream().map(FtpsBench::format).toList()));
        System.out.println();
        double gib = 1024.0 * 1024 * 1024;
        System.out.printf(Locale.ROOT, "CPU seconds per GiB moved (single and %d-stream transfers): Ferry %.2f, "
                + "vsftpd %.2f (all its processes)%n", STREAMS, bulkCpu[0] / (bulkBytes[0] / gib),
                bulkCpu[1] / (bulkBytes[1] / gib));
        System.out.printf(Locale.ROOT, "Ferry peak RSS: %d MiB; CPU seconds over the whole bench: Ferry %.0f, "
                + "vsftpd %.0f%n", ferry.peakRssKib() / 1024, ferry.cpuSeconds() - cpuAtStart[0],
                vsftpd.cpuSeconds() - cpuAtStart[1]);
    }

    // ---- servers

    static Server startVsftpd(Path files) throws Exception {
        Path dir = work.resolve("vsftpd");
        Files.createDirectories(dir);
        run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=127.0.0.1", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString()));
        int port = freePort();
        int passive = freePort();
        Path config = dir.resolve("vsftpd.conf");
        Files.writeString(config, String.join("\n",
                "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=" + port, "background=NO",
                "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
                "pam_service_name=ferry-bench-vsftpd", "userlist_enable=NO",
                "seccomp_sandbox=NO", "max_clients=0", "max_per_ip=0", "xferlog_enable=NO",
                "ssl_enable=YES", "rsa_cert_file=" + dir.resolve("cert.pem"), "rsa_private_key_file="
                        + dir.resolve("key.pem"), "force_local_data_ssl=YES", "force_local_logins_ssl=YES",
                "ssl_sslv2=NO", "ssl_sslv3=NO", "ssl_tlsv1=YES", "require_ssl_reuse=NO", "ssl_ciphers=HIGH",
                // a range as wide as Ferry's, so 100 concurrent sessions find passive ports on both
                "pasv_enable=YES", "pasv_min_port=" + passive, "pasv_max_port=" + (passive + 300), ""));
        Process p = new ProcessBuilder("/usr/sbin/vsftpd", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("vsftpd.log").toFile()).start();
        started.add(p);
        awaitPort(port, p, dir.resolve("vsftpd.log"));
        return new Server("vsftpd", "ferry-bench", port, p, files);
    }

    static Server startFerry(Path jar) throws Exception {
        Path dir = work.resolve("ferry");
        Files.createDirectories(dir);
        int http = freePort();
        int ftps = freePort();
        int passive = freePort();
        String admin = "bench-" + Long.toHexString(new Random().nextLong());
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", jar.toString(),
                "--ferry.data-dir=" + dir.resolve("data"), "--server.port=" + http, "--server.address=127.0.0.1",
                "--ferry.sftp.enabled=false", "--ferry.ftps.bind-address=127.0.0.1",
                "--ferry.ftps.limits.allow-list=127.0.0.1", "--ferry.ftps.limits.max-startups=100000",
                "--ferry.ftps.explicit-port=" + ftps, "--ferry.ftps.implicit-enabled=false",
                "--ferry.ftps.passive-ports=" + passive + "-" + (passive + 300), "--ferry.storage.encryption=false",
                // as vsftpd here: no cap on one account's sessions (Ferry's default is 20)
                "--ferry.ftps.max-logins-per-account=1000",
                "--ferry.cluster.port=" + freePort(), "--logging.level.root=WARN"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ferry.log").toFile());
        pb.environment().put("FERRY_ADMIN_PASSWORD", admin);
        Process p = pb.start();
        started.add(p);
        HttpClient client = HttpClient.newHttpClient();
        String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + admin).getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Ferry exited; see " + dir.resolve("ferry.log"));
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Ferry did not become ready; see " + dir.resolve("ferry.log"));
            }
            Thread.sleep(250);
        }
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http + "/api/v1/accounts")).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"username\":\"bench\",\"password\":\"" + PASSWORD + "\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("creating the bench account answered " + r.statusCode() + ": " + r.body());
        }
        return new Server("Ferry", "bench", ftps, p, dir.resolve("data"));
    }

    // ---- clients

    static Process startCurl(Server s, List<String> args, String name) throws IOException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail", "--ssl-reqd", "-k", "--tls-max", "1.2",
                "--ciphers", CIPHER, "--ftp-pasv", "-u", s.user + ":" + PASSWORD));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("curl-" + name + ".out").toFile()).start();
    }

    /** One curl run; its wall time in seconds, or the bench fails. */
    static double curl(Server s, String... args) throws Exception {
        run(List.of("sync")); // the other server's unsynced writes do not land in this measurement
        long start = System.nanoTime();
        Process p = startCurl(s, List.of(args), "single");
        int exit = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(s.name + ": curl failed (" + exit + "): "
                    + Files.readString(work.resolve("curl-single.out")));
        }
        return seconds;
    }

    /** One lftp session running the script over explicit FTPS (TLS 1.2, PROT P); its wall time in seconds. */
    static double lftp(Server s, String script) throws Exception {
        run(List.of("sync"));
        String session = String.join("; ", "set ssl:verify-certificate no", "set ftp:ssl-force true",
                "set ftp:ssl-protect-data true", "set ssl:priority NORMAL:-VERS-ALL:+VERS-TLS1.2",
                "set net:max-retries 1", "open -u " + s.user + "," + PASSWORD + " -p " + s.port + " 127.0.0.1", script);
        long start = System.nanoTime();
        Process p = new ProcessBuilder("lftp", "-c", session).redirectErrorStream(true)
                .redirectOutput(work.resolve("lftp.out").toFile()).start();
        int exit = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(s.name + ": lftp failed (" + exit + "): "
                    + Files.readString(work.resolve("lftp.out")));
        }
        return seconds;
    }

    record Parallel(double wall, double[] times, int failures) {
    }

    /** n curl runs started together; each one's time and the time until the last one ended. */
    static Parallel parallel(Server s, int n, IntFunction<List<String>> args) throws Exception {
        run(List.of("sync"));
        Process[] processes = new Process[n];
        long[] starts = new long[n];
        long[] ends = new long[n];
        long start = System.nanoTime();
        CompletableFuture<?>[] exits = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            starts[i] = System.nanoTime();
            processes[i] = startCurl(s, args.apply(i), "p" + i);
            exits[i] = processes[i].onExit().thenRun(() -> ends[k] = System.nanoTime());
        }
        CompletableFuture.allOf(exits).get(30, TimeUnit.MINUTES);
        double[] times = new double[n];
        int failures = 0;
        long last = start;
        for (int i = 0; i < n; i++) {
            times[i] = (ends[i] - starts[i]) / 1e9;
            last = Math.max(last, ends[i]);
            if (processes[i].exitValue() != 0) {
                failures++;
                if (failures <= 3) {
                    System.out.println(s.name + ": run " + i + " failed: "
                            + Files.readString(work.resolve("curl-p" + i + ".out")).trim());
                }
            }
        }
        return new Parallel((last - start) / 1e9, times, failures);
    }

    // ---- helpers

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

    static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
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
