import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Ferry's FTPS against vsftpd, same machine, same clients (curl; lftp for many small files), same TLS 1.2 cipher,
 * interleaved A/B, with each server's CPU per scenario. Run with bench/ftps.sh, which builds Ferry, installs vsftpd if
 * needed and provides the PAM service vsftpd logs in through.
 *
 * Arguments: ferry.jar workDir vsftpdHome runs MiB (vsftpdHome: the bench login's home directory, its files land there)
 */
public class FtpsBench {

    /** Pinned for both servers: the suite Ferry's data connections prefer, ECDSA as both certificates are. */
    static final String CIPHER = "ECDHE-ECDSA-AES128-GCM-SHA256";
    static final int STREAMS = 8;
    static final int STREAM_MIB = 128;
    static final int SMALL_FILES = 2000;
    static final int SMALL_SIZE = 4096;
    /** Many small files from several sessions at once: each its own files into its own new directory. */
    static final int SMALL_SESSIONS = 8;
    static final int FILES_PER_SESSION = 250;
    static final int SESSIONS = 100;
    static final long CLK_TCK = 100;
    static final double GIB = 1024.0 * 1024 * 1024;
    static final String PASSWORD = "bench-" + Long.toHexString(new Random().nextLong());

    static Path work;
    static final List<Process> started = new ArrayList<>();

    /**
     * A server under test: how to reach it and where its files land on disk. {@code process} is what the bench
     * started, {@code main} the server's own process: the same for Ferry; for vsftpd, the listener, a child of the
     * subreaper the bench starts it under.
     */
    record Server(String name, String user, int port, Process process, ProcessHandle main, Path files) {
        /**
         * CPU seconds the server has used so far: its own, plus reaped children's (the forking vsftpd's session
         * processes, reaped by the listener or, orphaned, by the subreaper above it).
         */
        double cpuSeconds() throws IOException {
            long ticks = cpuTicks(process.pid()) + (main.pid() == process.pid() ? 0 : cpuTicks(main.pid()));
            return ticks / (double) CLK_TCK;
        }

        /**
         * CPU seconds so far, read once every process the server forked has exited and been reaped: a vsftpd session
         * process's CPU counts only when it has been reaped.
         */
        double settledCpuSeconds() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (main.children().findAny().isPresent()
                    || process.children().anyMatch(c -> c.pid() != main.pid())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": session processes still there after 60 s");
                }
                Thread.sleep(10);
            }
            return cpuSeconds();
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

    /** utime + stime + cutime + cstime of a process, in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    /**
     * Runs a command as the child of a subreaper that forwards SIGTERM to it, kills it when the subreaper dies and
     * reaps every process orphaned below it, writing "orphan PID" for each. A vsftpd session's processes are often
     * not reaped by their own parent, which exits first (about one orphan per session here); without the subreaper
     * they went to init, and their CPU, the session's TLS and file I/O, was lost from vsftpd's count.
     */
    static final String SUBREAPER = String.join("\n",
            "import ctypes, os, signal, sys",
            "libc = ctypes.CDLL(None, use_errno=True)",
            "libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER",
            "pid = None",
            "def forward(signum, frame):",
            "    if pid is None:",
            "        sys.exit(1)",
            "    try:",
            "        os.kill(pid, signum)",
            "    except ProcessLookupError:",
            "        pass",
            "signal.signal(signal.SIGTERM, forward)",
            "pid = os.fork()",
            "if pid == 0:",
            "    libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG",
            "    os.execv(sys.argv[1], sys.argv[1:])",
            "while True:",
            "    p, status = os.wait()",
            "    if p == pid:",
            "        sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)",
            "    print('orphan', p, flush=True)",
            "");

    static final Map<String, List<Double>> samples = new LinkedHashMap<>();
    /** Server CPU per unit of work by scenario: seconds per GiB moved, milliseconds per file. */
    static final Map<String, List<Double>> cpuSamples = new LinkedHashMap<>();

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
        for (int k = 0; k < SMALL_SESSIONS; k++) {
            Path dir = Files.createDirectories(data.resolve("multi/s" + k));
            for (int i = 0; i < FILES_PER_SESSION; i++) {
                writeRandom(dir.resolve("f" + i + ".edi"), SMALL_SIZE, 100_000 + k * FILES_PER_SESSION + i);
            }
        }

        Server vsftpd = startVsftpd(vsftpdHome);
        Server ferry = startFerry(jar);
        System.out.printf("machine: %d cores, %s; clients: %s, %s; reference: vsftpd %s; Ferry on %s; cipher %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), firstLine(List.of("curl", "--version")),
                firstLine(List.of("lftp", "--version")),
                firstLine(List.of("dpkg-query", "-W", "-f=${Version}", "vsftpd")),
                firstLine(List.of(javaBinary(), "-version")), CIPHER);

        // untimed: Ferry's JIT compiles its hot paths, both get the files into the page cache
        for (Server s : List.of(ferry, vsftpd)) {
            for (int i = 0; i < 2; i++) {
                curl(s, "-T", data.resolve("big.bin").toString(), s.url("big.bin"));
                curl(s, "-o", "/dev/null", s.url("big.bin"));
            }
            // and its per-file paths (data connection, TLS resumption, the commit of each upload), until settled
            parallel(s, SMALL_SESSIONS, "lftp", k -> startLftp(s, "mkdir warm-up-" + k + "; cd warm-up-" + k
                    + "; lcd " + data.resolve("multi/s" + k) + "; mput *.edi", "p" + k));
            warmSmallFiles(s, data.resolve("small"));
        }
        double[] cpuAtStart = {ferry.settledCpuSeconds(), vsftpd.settledCpuSeconds()};
        double[] bulkBytes = {0, 0};
        double[] bulkCpu = {0, 0};
        String oneSession = SMALL_FILES + " x 4 KiB in one session";
        String manySessions = SMALL_SESSIONS + " sessions x " + FILES_PER_SESSION + " x 4 KiB";
        for (int r = 0; r < runs; r++) {
            System.out.printf("run %d of %d%n", r + 1, runs);
            List<Server> pair = r % 2 == 0 ? List.of(ferry, vsftpd) : List.of(vsftpd, ferry);
            for (Server s : pair) {
                int i = s == ferry ? 0 : 1;
                double bulkStart = s.settledCpuSeconds();
                long bytes = (long) mib << 20;
                record(s, "1 stream upload (MB/s)", mbps(bytes,
                        curl(s, "-T", data.resolve("big.bin").toString(), s.url("big.bin"))));
                double cpu = recordCpu(s, "1 stream upload (s/GiB)", bulkStart, bytes / GIB);
                record(s, "1 stream download (MB/s)", mbps(bytes, curl(s, "-o", "/dev/null", s.url("big.bin"))));
                cpu = recordCpu(s, "1 stream download (s/GiB)", cpu, bytes / GIB);
                long total = (long) STREAMS * STREAM_MIB << 20;
                record(s, STREAMS + " streams upload (MB/s)", mbps(total, parallel(s, STREAMS, "curl",
                        k -> startCurl(s, List.of("-T", data.resolve("stream.bin").toString(),
                                s.url("stream-" + k + ".bin")), "p" + k)).wall));
                cpu = recordCpu(s, STREAMS + " streams upload (s/GiB)", cpu, total / GIB);
                record(s, STREAMS + " streams download (MB/s)", mbps(total, parallel(s, STREAMS, "curl",
                        k -> startCurl(s, List.of("-o", "/dev/null", s.url("stream-" + k + ".bin")), "p" + k)).wall));
                cpu = recordCpu(s, STREAMS + " streams download (s/GiB)", cpu, total / GIB);
                bulkBytes[i] += 2.0 * bytes + 2.0 * total;
                bulkCpu[i] += cpu - bulkStart;
            }
            for (Server s : pair) {
                // one session, one upload after the other on the same control connection. lftp, not curl: curl 7.88
                // stalls a second before a data connection whenever the EPSV reply comes back very fast
                double cpu = s.settledCpuSeconds();
                double seconds = lftp(s, "mkdir small-" + r + "; cd small-" + r + "; lcd " + data.resolve("small")
                        + "; mput *.edi");
                record(s, oneSession + " (files/s)", SMALL_FILES / seconds);
                recordCpu(s, oneSession + " (ms/file)", cpu, SMALL_FILES / 1000.0);
            }
            for (Server s : pair) {
                // the same with several sessions at once, each into a directory of its own
                int run = r;
                double cpu = s.settledCpuSeconds();
                Parallel p = parallel(s, SMALL_SESSIONS, "lftp", k -> startLftp(s, "mkdir multi-" + run + "-" + k
                        + "; cd multi-" + run + "-" + k + "; lcd " + data.resolve("multi/s" + k) + "; mput *.edi",
                        "p" + k));
                int files = SMALL_SESSIONS * FILES_PER_SESSION;
                record(s, manySessions + " (files/s)", files / p.wall);
                recordCpu(s, manySessions + " (ms/file)", cpu, files / 1000.0);
                record(s, manySessions + ": failed files", files - countFiles(s, IntStream.range(0, SMALL_SESSIONS)
                        .mapToObj(k -> "multi-" + run + "-" + k).toList()));
            }
            for (Server s : pair) {
                Parallel p = parallel(s, SESSIONS, "curl", k -> startCurl(s,
                        List.of("-T", data.resolve("one.bin").toString(), s.url("session-" + k + ".bin")), "p" + k));
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

    /**
     * Records the server CPU a scenario took since the reading {@code before}, per unit of work: per GiB moved, or per
     * thousand files (which gives milliseconds per file). Returns the new reading, the next scenario's start.
     */
    static double recordCpu(Server s, String scenario, double before, double units) throws Exception {
        double now = s.settledCpuSeconds();
        cpuSamples.computeIfAbsent(s.name + "|" + scenario, k -> new ArrayList<>()).add((now - before) / units);
        return now;
    }

    static void report(Server ferry, Server vsftpd, double[] bulkBytes, double[] bulkCpu, double[] cpuAtStart)
            throws Exception {
        System.out.println();
        table(samples);
        System.out.println();
        System.out.println("server CPU (Ferry: the JVM; vsftpd: all its processes, counted when reaped):");
        System.out.println();
        table(cpuSamples);
        System.out.println();
        System.out.println("Every run's figure, in run order:");
        for (Map<String, List<Double>> figures : List.of(samples, cpuSamples)) {
            figures.forEach((name, values) -> System.out.printf(Locale.ROOT, "  %s: %s%n", name.replace('|', ' '),
                    values.stream().map(FtpsBench::format).toList()));
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "CPU seconds per GiB moved (single and %d-stream transfers): Ferry %.2f, "
                + "vsftpd %.2f (all its processes)%n", STREAMS, bulkCpu[0] / (bulkBytes[0] / GIB),
                bulkCpu[1] / (bulkBytes[1] / GIB));
        System.out.printf(Locale.ROOT, "Ferry peak RSS: %d MiB; CPU seconds over the whole bench: Ferry %.0f, "
                + "vsftpd %.0f%n", ferry.peakRssKib() / 1024, ferry.settledCpuSeconds() - cpuAtStart[0],
                vsftpd.settledCpuSeconds() - cpuAtStart[1]);
        try (Stream<String> lines = Files.lines(work.resolve("vsftpd/vsftpd.log"))) {
            System.out.printf("vsftpd session processes orphaned, reaped and counted by the subreaper: %d%n",
                    lines.filter(l -> l.startsWith("orphan ")).count());
        }
    }

    /** One markdown table of medians by scenario, Ferry against vsftpd. */
    static void table(Map<String, List<Double>> figures) {
        System.out.println("| scenario | Ferry | vsftpd | Ferry / vsftpd |");
        System.out.println("|---|---|---|---|");
        List<String> scenarios = figures.keySet().stream().filter(k -> k.startsWith("Ferry|"))
                .map(k -> k.substring("Ferry|".length())).toList();
        for (String scenario : scenarios) {
            double f = median(figures.get("Ferry|" + scenario));
            double v = median(figures.get("vsftpd|" + scenario));
            String ratio = scenario.contains("fail") ? "" : String.format(Locale.ROOT, "%.2f", f / v);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", scenario, format(f), format(v), ratio);
        }
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
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", SUBREAPER, "/usr/sbin/vsftpd", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("vsftpd.log").toFile()).start();
        started.add(p);
        awaitPort(port, p, dir.resolve("vsftpd.log"));
        ProcessHandle listener = p.children().findFirst()
                .orElseThrow(() -> new IllegalStateException("vsftpd is not running under its subreaper"));
        return new Server("vsftpd", "ferry-bench", port, p, listener, files);
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
        String auth = "Basic "
                + Base64.getEncoder().encodeToString(("admin:" + admin).getBytes(StandardCharsets.UTF_8));
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
        return new Server("Ferry", "bench", ftps, p, p.toHandle(), dir.resolve("data"));
    }

    // ---- clients

    static Process startCurl(Server s, List<String> args, String name) throws IOException {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail", "--ssl-reqd", "-k", "--tls-max", "1.2",
                "--ciphers", CIPHER, "--ftp-pasv", "-u", s.user + ":" + PASSWORD));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("curl-" + name + ".out").toFile()).start();
    }

    static final int WARM_ROUNDS_MIN = 8;
    static final int WARM_ROUNDS_MAX = 15;
    static final double WARM_WITHIN = 0.10;

    /**
     * Uploads {@code files} in one session, round after round, until the server's CPU per file has settled (at
     * least {@link #WARM_ROUNDS_MIN} rounds, then until the last three are within {@link #WARM_WITHIN} of each
     * other, at most {@link #WARM_ROUNDS_MAX}); prints each round's figure. Ferry's per-file CPU falls from about
     * 8 ms to 1.8 ms over its first 16,000 files (the JIT), vsftpd's is flat: a server that moves files all day is
     * measured warm, and the rounds are the cold server's cost.
     */
    static void warmSmallFiles(Server s, Path files) throws Exception {
        List<Double> rounds = new ArrayList<>();
        while (rounds.size() < WARM_ROUNDS_MAX) {
            double cpu = s.settledCpuSeconds();
            lftp(s, "mkdir warm-small-" + rounds.size() + "; cd warm-small-" + rounds.size() + "; lcd " + files
                    + "; mput *.edi");
            rounds.add((s.settledCpuSeconds() - cpu) * 1000 / SMALL_FILES);
            if (rounds.size() >= WARM_ROUNDS_MIN) {
                List<Double> last = rounds.subList(rounds.size() - 3, rounds.size());
                if (Collections.max(last) <= (1 + WARM_WITHIN) * Collections.min(last)) {
                    break;
                }
            }
        }
        StringBuilder figures = new StringBuilder();
        rounds.forEach(perFile -> figures.append(String.format(Locale.ROOT, " %.2f", perFile)));
        System.out.printf("warm-up, %s: CPU ms per small file, round by round (%d files each):%s%n", s.name,
                SMALL_FILES, figures);
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

    /** An lftp session running the script over explicit FTPS (TLS 1.2, PROT P); its output goes to lftp-name.out. */
    static Process startLftp(Server s, String script, String name) throws IOException {
        String session = String.join("; ", "set ssl:verify-certificate no", "set ftp:ssl-force true",
                "set ftp:ssl-protect-data true", "set ssl:priority NORMAL:-VERS-ALL:+VERS-TLS1.2",
                "set net:max-retries 1", "open -u " + s.user + "," + PASSWORD + " -p " + s.port + " 127.0.0.1", script);
        return new ProcessBuilder("lftp", "-c", session).redirectErrorStream(true)
                .redirectOutput(work.resolve("lftp-" + name + ".out").toFile()).start();
    }

    /** One lftp session running the script; its wall time in seconds, or the bench fails. */
    static double lftp(Server s, String script) throws Exception {
        run(List.of("sync"));
        long start = System.nanoTime();
        Process p = startLftp(s, script, "single");
        int exit = p.waitFor();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (exit != 0) {
            throw new IllegalStateException(s.name + ": lftp failed (" + exit + "): "
                    + Files.readString(work.resolve("lftp-single.out")));
        }
        return seconds;
    }

    /** How many .edi files the server lists in the directories (untimed, a session of its own). */
    static int countFiles(Server s, List<String> dirs) throws Exception {
        String script = dirs.stream().map(d -> "cls -1 " + d + "/").collect(Collectors.joining("; "));
        startLftp(s, script, "count").waitFor();
        try (Stream<String> lines = Files.lines(work.resolve("lftp-count.out"))) {
            return (int) lines.filter(l -> l.trim().endsWith(".edi")).count();
        }
    }

    record Parallel(double wall, double[] times, int failures) {
    }

    /** Starts client k of several; its output goes to tool-pk.out. */
    interface Client {
        Process start(int k) throws IOException;
    }

    /** n clients started together; each one's time and the time until the last one ended. */
    static Parallel parallel(Server s, int n, String tool, Client client) throws Exception {
        run(List.of("sync"));
        Process[] processes = new Process[n];
        long[] starts = new long[n];
        long[] ends = new long[n];
        long start = System.nanoTime();
        CompletableFuture<?>[] exits = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            starts[i] = System.nanoTime();
            processes[i] = client.start(i);
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
                    System.out.println(s.name + ": " + tool + " " + i + " failed: "
                            + Files.readString(work.resolve(tool + "-p" + i + ".out")).trim());
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
            try (Socket ignored = new Socket("127.0.0.1", port)) {
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
