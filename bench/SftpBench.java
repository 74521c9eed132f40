import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Ferry against OpenSSH's internal-sftp, same machine, same client, same cipher, interleaved A/B. Run with
 * bench/sftp.sh, which builds Ferry and installs openssh-server if needed.
 *
 * Arguments: ferry.jar workDir runs MiB. Environment: FERRY_BENCH_ONLY (scenario groups), FERRY_BENCH_SESSIONS
 * (concurrent sessions of the sessions group, default 200), FERRY_BENCH_IDLE (idle sessions of the idle group,
 * default 200), FERRY_JAVA (the JVM Ferry runs on).
 */
public class SftpBench {

    static final String AES = "aes128-gcm@openssh.com";
    static final String CHACHA = "chacha20-poly1305@openssh.com";
    static final int STREAMS = 8;
    static final int STREAM_MIB = 256;
    static final int SMALL_FILES = 2000;
    static final int SMALL_SIZE = 4096;
    /** Sessions of the small8 group, each uploading its share of the small files. */
    static final int SMALL_SESSIONS = 8;
    static final int SESSIONS = positiveEnv("FERRY_BENCH_SESSIONS", 200);
    static final int IDLE = positiveEnv("FERRY_BENCH_IDLE", 200);
    static final long CLK_TCK = 100;
    static final double GIB = 1024.0 * 1024 * 1024;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static Path work;
    static Path key;
    static final List<Process> started = new ArrayList<>();
    /** Bytes moved and server CPU seconds of the bulk scenarios, Ferry [0] and OpenSSH [1], for the summary. */
    static final double[] bulkBytes = {0, 0};
    static final double[] bulkCpu = {0, 0};

    /**
     * A server under test: how to reach it and where its sessions start; for Ferry also its HTTP API (base URL and
     * Authorization header), null for OpenSSH.
     */
    record Server(String name, String user, int port, String remoteDir, Process process, Path data, String api,
            String auth) {
        /** CPU seconds the server has used so far (its own, plus reaped children's for the forking sshd). */
        double cpuSeconds() throws IOException {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields from 3 on: utime is 14, stime 15, cutime 16, cstime 17 (1-based in proc(5))
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / (double) CLK_TCK;
        }

        long peakRssKib() throws IOException {
            return statusKib(process.pid(), "VmHWM:");
        }

        boolean ferry() {
            return api != null;
        }

        /**
         * Sessions the server holds: Ferry's as its API lists them; for OpenSSH every child of the listening sshd,
         * a zombie included, since a session's CPU reaches sshd's cutime only once sshd has reaped it.
         */
        int openSessions() throws Exception {
            if (ferry()) {
                return count(get(this, "/api/v1/sessions"), "\"id\":");
            }
            return children(process.pid()).size();
        }

        /**
         * Waits until the sessions of the last scenario are gone from the server (the client's exit comes first),
         * so that a CPU reading counts all of their work: OpenSSH's only once sshd has reaped them.
         */
        void settle() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int open;
            while ((open = openSessions()) > 0) {
                if (System.nanoTime() > deadline) {
                    System.out.println(name + ": " + open + " sessions still open after 60 s; CPU read anyway");
                    return;
                }
                Thread.sleep(20);
            }
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
        int share = SMALL_FILES / SMALL_SESSIONS;
        for (int k = 0; k < SMALL_SESSIONS; k++) {
            Files.createDirectories(data.resolve("small8/s" + k));
        }
        for (int i = 0; i < SMALL_FILES; i++) {
            Path file = data.resolve("small/f" + i + ".edi");
            writeRandom(file, SMALL_SIZE, 100 + i);
            // the same files again, a share in each of the small8 group's directories
            Files.copy(file, data.resolve("small8/s" + i / share + "/f" + i + ".edi"));
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
        if (selected("single") || selected("streams")) {
            for (Server s : List.of(ferry, openssh)) {
                warmBulk(s, data.resolve("big.bin"), (long) mib << 20);
            }
        }
        if (selected("small") || selected("small8")) {
            for (Server s : List.of(ferry, openssh)) {
                warmSmallFiles(s, data.resolve("small"));
            }
        }
        double[] cpuAtStart = {ferry.cpuSeconds(), openssh.cpuSeconds()};
        long big = (long) mib << 20;
        for (int r = 0; r < runs; r++) {
            System.out.printf("run %d of %d%n", r + 1, runs);
            // A/B order alternates run by run, so the machine's drift hits both alike
            List<Server> pair = r % 2 == 0 ? List.of(ferry, openssh) : List.of(openssh, ferry);
            for (String cipher : selected("single") ? List.of(AES, CHACHA) : List.<String>of()) {
                String c = cipher.equals(AES) ? "aes128-gcm" : "chacha20-poly1305";
                for (Server s : pair) {
                    String row = "1 stream upload " + c;
                    record(key(s, row), mbps(big, perGib(s, row, big,
                            () -> sftp(s, cipher, "put " + data.resolve("big.bin") + " big.bin"))));
                    row = "1 stream upload, durable (put -f) " + c;
                    record(key(s, row), mbps(big, perGib(s, row, big,
                            () -> sftp(s, cipher, "put -f " + data.resolve("big.bin") + " big.bin"))));
                    row = "1 stream download " + c;
                    record(key(s, row), mbps(big, perGib(s, row, big, () -> sftp(s, cipher, "get big.bin /dev/null"))));
                }
            }
            for (Server s : selected("streams") ? pair : List.<Server>of()) {
                long total = (long) STREAMS * STREAM_MIB << 20;
                String row = STREAMS + " streams upload aes128-gcm";
                record(key(s, row), mbps(total, perGib(s, row, total, () -> parallel(s, STREAMS,
                        i -> "put " + data.resolve("stream.bin") + " stream-" + i + ".bin").wall)));
                row = STREAMS + " streams upload, durable (put -f) aes128-gcm";
                record(key(s, row), mbps(total, perGib(s, row, total, () -> parallel(s, STREAMS,
                        i -> "put -f " + data.resolve("stream.bin") + " stream-" + i + ".bin").wall)));
                row = STREAMS + " streams download aes128-gcm";
                record(key(s, row), mbps(total, perGib(s, row, total, () -> parallel(s, STREAMS,
                        i -> "get stream-" + i + ".bin /dev/null").wall)));
            }
            for (Server s : selected("small") ? pair : List.<Server>of()) {
                String dir = "small-" + r;
                String row = SMALL_FILES + " x 4 KiB in one session";
                double seconds = perFile(s, row, SMALL_FILES,
                        () -> sftp(s, AES, "mkdir " + dir + "\ncd " + dir + "\nput " + data.resolve("small") + "/*"));
                record(key(s, row + " (files/s)"), SMALL_FILES / seconds);
                row = SMALL_FILES + " x 4 KiB in one session, durable (put -f)";
                seconds = perFile(s, row, SMALL_FILES, () -> sftp(s, AES,
                        "mkdir " + dir + "f\ncd " + dir + "f\nput -f " + data.resolve("small") + "/*"));
                record(key(s, row + " (files/s)"), SMALL_FILES / seconds);
            }
            for (Server s : selected("small8") ? pair : List.<Server>of()) {
                // each session its own new directory and its own share of the files; files/s over the whole
                String rows = SMALL_SESSIONS + " sessions x " + share + " x 4 KiB";
                int failures = 0;
                for (String put : List.of("put", "put -f")) {
                    String row = put.equals("put") ? rows : rows + ", durable (put -f)";
                    String dir = "small8-" + r + (put.equals("put") ? "-" : "f-");
                    Parallel p = perFile(s, row, SMALL_FILES, () -> parallel(s, SMALL_SESSIONS, i -> "mkdir " + dir + i
                            + "\ncd " + dir + i + "\n" + put + " " + data.resolve("small8/s" + i) + "/*"));
                    record(key(s, row + " (files/s)"), SMALL_FILES / p.wall);
                    failures += p.failures;
                }
                record(key(s, rows + ": failures"), failures); // put and put -f together
            }
            for (Server s : selected("sessions") ? pair : List.<Server>of()) {
                s.settle();
                Parallel p = parallel(s, SESSIONS, i -> "put " + data.resolve("one.bin") + " session-" + i + ".bin");
                record(key(s, SESSIONS + " sessions x 1 MiB: total s"), p.wall);
                double[] times = p.times.clone();
                Arrays.sort(times);
                record(key(s, SESSIONS + " sessions x 1 MiB: p50 session s"), percentile(times, 50));
                record(key(s, SESSIONS + " sessions x 1 MiB: p99 session s"), percentile(times, 99));
                record(key(s, SESSIONS + " sessions x 1 MiB: failures"), p.failures);
            }
            for (Server s : selected("idle") ? pair : List.<Server>of()) {
                idle(s);
            }
            List<Server> at = !selected("encryption") ? List.<Server>of()
                    : r % 2 == 0 ? List.of(ferry, encrypted) : List.of(encrypted, ferry);
            for (Server s : at) {
                record("5|" + s.name + "|1 stream upload aes128-gcm", mbps(big,
                        sftp(s, AES, "put " + data.resolve("big.bin") + " big.bin")));
                record("5|" + s.name + "|1 stream download aes128-gcm", mbps(big,
                        sftp(s, AES, "get big.bin /dev/null")));
            }
        }
        report(ferry, openssh, encrypted, cpuAtStart);
        for (Server s : List.of(ferry, encrypted, openssh)) {
            s.process.destroy();
            s.process.waitFor(20, TimeUnit.SECONDS);
        }
        deleteTree(data);
        for (Server s : List.of(ferry, encrypted, openssh)) {
            deleteTree(s.data.resolve(s.ferry() ? "data" : "files")); // the files; logs and configs stay
        }
    }

    /** A scenario's body: its wall time or its sessions' figures. */
    interface Scenario<T> {
        T run() throws Exception;
    }

    /** Runs a bulk scenario and records the server's CPU seconds per GiB it moved; returns the scenario's result. */
    static <T> T perGib(Server s, String row, long bytes, Scenario<T> scenario) throws Exception {
        double[] cpu = new double[1];
        T result = withCpu(s, scenario, cpu);
        record("cpu|" + key(s, row), cpu[0] / (bytes / GIB));
        bulkBytes[s.ferry() ? 0 : 1] += bytes;
        bulkCpu[s.ferry() ? 0 : 1] += cpu[0];
        return result;
    }

    /** Durable small-file rounds in the warm-up: at least, at most, and how close the last three must come. */
    static final int WARM_ROUNDS_MIN = 8;
    static final int WARM_ROUNDS_MAX = 15;
    static final double WARM_WITHIN = 0.10;

    /**
     * Uploads {@code files} durably, round after round, until the server's CPU per file has settled (at least
     * {@link #WARM_ROUNDS_MIN} rounds, then until the last three are within {@link #WARM_WITHIN} of each other, at
     * most {@link #WARM_ROUNDS_MAX}); prints each round's figure. A JVM still compiles its per-file path after
     * 10,000 files, in bursts (two rounds alike say nothing), and its CPU per file falls from about 6 ms to 1.5 ms
     * over the first 30,000; a server that moves files all day is measured warm. OpenSSH is flat from the start.
     * The rounds are the cold server's cost, printed for that reason.
     */
    static void warmSmallFiles(Server s, Path files) throws Exception {
        String rounds = untilSettled(WARM_ROUNDS_MIN, WARM_ROUNDS_MAX, round -> {
            String dir = "warm-small-" + round;
            double[] cpu = new double[1];
            withCpu(s, () -> sftp(s, AES, "mkdir " + dir + "\ncd " + dir + "\nput -f " + files + "/*"), cpu);
            return cpu[0] * 1000 / SMALL_FILES;
        });
        System.out.printf("warm-up, %s: CPU ms per durable small file, round by round (%d files each):%s%n", s.name,
                SMALL_FILES, rounds);
    }

    static final int WARM_BULK_MIN = 3;
    static final int WARM_BULK_MAX = 8;

    /**
     * Moves {@code file} up and down with both ciphers, round after round, until the server's CPU per GiB has
     * settled (at least {@link #WARM_BULK_MIN} rounds, then until the last three are within {@link #WARM_WITHIN},
     * at most {@link #WARM_BULK_MAX}); prints each round's figure. After one round Ferry's JIT still compiles its
     * bulk path: the first measured run cost 2.5 times the third.
     */
    static void warmBulk(Server s, Path file, long bytes) throws Exception {
        String rounds = untilSettled(WARM_BULK_MIN, WARM_BULK_MAX, round -> {
            double[] cpu = new double[1];
            withCpu(s, () -> {
                double seconds = 0;
                for (String cipher : List.of(AES, CHACHA)) {
                    seconds += sftp(s, cipher, "put " + file + " big.bin\nget big.bin /dev/null");
                }
                return seconds;
            }, cpu);
            return cpu[0] / (4.0 * bytes / GIB);
        });
        System.out.printf("warm-up, %s: CPU s per GiB moved up and down, round by round:%s%n", s.name, rounds);
    }

    /** One warm-up round (numbered from 0); its figure. */
    interface Round {
        double run(int round) throws Exception;
    }

    /**
     * Runs rounds until the last three figures are within {@link #WARM_WITHIN} of each other (at least {@code min}
     * rounds, at most {@code max}); every round's figure, for printing.
     */
    static String untilSettled(int min, int max, Round round) throws Exception {
        List<Double> rounds = new ArrayList<>();
        while (rounds.size() < max) {
            rounds.add(round.run(rounds.size()));
            if (rounds.size() >= min) {
                List<Double> last = rounds.subList(rounds.size() - 3, rounds.size());
                if (Collections.max(last) <= (1 + WARM_WITHIN) * Collections.min(last)) {
                    break;
                }
            }
        }
        StringBuilder figures = new StringBuilder();
        rounds.forEach(figure -> figures.append(String.format(" %.2f", figure)));
        return figures.toString();
    }

    /** Runs a small-file scenario and records the server's CPU milliseconds per file; returns its result. */
    static <T> T perFile(Server s, String row, int files, Scenario<T> scenario) throws Exception {
        double[] cpu = new double[1];
        T result = withCpu(s, scenario, cpu);
        record("cpu|" + key(s, row + " (ms per file)"), cpu[0] * 1000 / files);
        return result;
    }

    /**
     * Runs a scenario between two readings of the server's CPU, each taken once the server holds no session (the
     * one before: the previous scenario's sessions are all counted and none of them lands in this one); puts the
     * CPU seconds in {@code cpu[0]}.
     */
    static <T> T withCpu(Server s, Scenario<T> scenario, double[] cpu) throws Exception {
        s.settle();
        double before = s.cpuSeconds();
        T result = scenario.run();
        s.settle();
        cpu[0] = s.cpuSeconds() - before;
        return result;
    }

    /** A server's memory, KiB: RSS and PSS; for Ferry also the heap in use and the RSS outside the heap, else -1. */
    record Memory(long heapKib, long rssKib, long pssKib, long outsideHeapKib) {
    }

    /**
     * What one idle, logged-in session costs the server: IDLE sftp sessions log in (each answers a pwd) and stay
     * open while the server's memory is read against its reading before them. Ferry: the JVM's heap after a full
     * GC, its RSS and its PSS, both after the GC too, and the RSS outside the heap's mapping: after the GC, G1 keeps
     * anything between 1.7 and 3.3 times the live heap committed (Min/MaxHeapFreeRatio), so the whole RSS moves by
     * tens of MiB for reasons of its own; heap in use plus RSS outside the heap is what the sessions hold. OpenSSH:
     * the RSS and the PSS summed over the processes the sessions add (sshd's monitor and session processes and
     * internal-sftp, all descendants of the listening sshd). PSS shares a page among all processes mapping it, the
     * sftp and ssh clients' libraries included.
     */
    static void idle(Server s) throws Exception {
        s.settle();
        Memory before = memory(s);
        List<Process> clients = new ArrayList<>();
        for (int i = 0; i < IDLE; i++) {
            Path out = work.resolve("batch-idle" + i + ".out");
            Process p = new ProcessBuilder(sftpCommand(s, AES, "-")).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).start();
            clients.add(p);
            // the batch stays open: sftp waits for the next command once it has answered this one
            p.getOutputStream().write(("cd " + s.remoteDir + "\npwd\n").getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().flush();
        }
        int failures = awaitLoggedIn(s, clients);
        int in = IDLE - failures;
        System.out.printf("%s: %d of %d idle sessions logged in, the server lists %d %s%n", s.name, in, IDLE,
                s.ferry() ? s.openSessions() : descendants(s.process.pid()).size(),
                s.ferry() ? "sessions" : "session processes (a monitor and a session process per login)");
        Memory after = memory(s);
        if (in > 0) {
            if (s.ferry()) {
                record(key(s, "idle session: heap KiB per session"), (after.heapKib - before.heapKib) / (double) in);
            }
            record(key(s, "idle session: RSS KiB per session"), (after.rssKib - before.rssKib) / (double) in);
            if (s.ferry()) {
                record(key(s, "idle session: RSS outside the heap KiB per session"),
                        (after.outsideHeapKib - before.outsideHeapKib) / (double) in);
            }
            record(key(s, "idle session: PSS KiB per session"), (after.pssKib - before.pssKib) / (double) in);
        }
        record(key(s, "idle session: failures"), failures);
        for (Process p : clients) {
            try {
                p.getOutputStream().close(); // end of the batch: sftp logs out
            } catch (IOException e) {
                // exited already
            }
        }
        for (Process p : clients) {
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        }
        s.settle();
    }

    /** Waits until every client has answered its pwd (or exited); returns how many did not (within 10 min). */
    static int awaitLoggedIn(Server s, List<Process> clients) throws Exception {
        boolean[] done = new boolean[clients.size()];
        int failures = 0;
        int waiting = clients.size();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (waiting > 0 && System.nanoTime() < deadline) {
            for (int i = 0; i < clients.size(); i++) {
                if (done[i]) {
                    continue;
                }
                String out = Files.readString(work.resolve("batch-idle" + i + ".out"));
                if (out.contains("Remote working directory")) {
                    done[i] = true;
                    waiting--;
                } else if (!clients.get(i).isAlive()) {
                    done[i] = true;
                    waiting--;
                    if (++failures <= 3) {
                        System.out.println(s.name + ": idle session " + i + " failed: " + out.trim());
                    }
                }
            }
            Thread.sleep(100);
        }
        return failures + waiting;
    }

    /**
     * A server's memory as {@link #idle} compares it; Ferry's after a full GC, once the RSS has stopped moving (G1
     * hands back the regions the GC freed concurrently, after the GC).
     */
    static Memory memory(Server s) throws Exception {
        if (s.ferry()) {
            long pid = s.process.pid();
            String jcmd = Path.of(javaBinary()).resolveSibling("jcmd").toString();
            run(List.of(jcmd, String.valueOf(pid), "GC.run"));
            long rss = statusKib(pid, "VmRSS:");
            for (int i = 0; i < 40; i++) {
                Thread.sleep(250);
                long now = statusKib(pid, "VmRSS:");
                boolean steady = Math.abs(now - rss) < 256;
                rss = now;
                if (steady) {
                    break;
                }
            }
            Matcher value = Pattern.compile("\"value\":([0-9.Ee+-]+)")
                    .matcher(get(s, "/actuator/metrics/jvm.memory.used?tag=area:heap"));
            long heap = value.find() ? (long) (Double.parseDouble(value.group(1)) / 1024) : -1;
            // the heap's reserved range, as "[0x0000000687400000, 0x0000000800000000)"
            Matcher range = Pattern.compile("\\[0x([0-9a-f]+), 0x([0-9a-f]+)\\)")
                    .matcher(run(List.of(jcmd, String.valueOf(pid), "GC.heap_info")));
            long outside = !range.find() ? -1 : rss - rssWithin(pid, Long.parseUnsignedLong(range.group(1), 16),
                    Long.parseUnsignedLong(range.group(2), 16));
            return new Memory(heap, rss, smapsKib(List.of(pid), "Pss:"), outside);
        }
        List<Long> sessions = descendants(s.process.pid());
        return new Memory(-1, smapsKib(sessions, "Rss:"), smapsKib(sessions, "Pss:"), -1);
    }

    /** The RSS (KiB) of a process's mappings that start within [from, to), from /proc/pid/smaps. */
    static long rssWithin(long pid, long from, long to) throws IOException {
        long sum = 0;
        boolean inside = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
                long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
                inside = Long.compareUnsigned(start, from) >= 0 && Long.compareUnsigned(start, to) < 0;
            } else if (inside && line.startsWith("Rss:")) {
                sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return sum;
    }

    /**
     * Whether a group of scenarios runs: {@code FERRY_BENCH_ONLY} lists the groups to run ({@code single},
     * {@code streams}, {@code small}, {@code small8}, {@code sessions}, {@code idle}, {@code encryption}); unset,
     * all of them.
     */
    static boolean selected(String group) {
        String only = System.getenv("FERRY_BENCH_ONLY");
        return only == null || only.isBlank() || Arrays.asList(only.split("\\s*,\\s*")).contains(group);
    }

    static String key(Server s, String scenario) {
        return (s.name.equals("OpenSSH") ? "OpenSSH" : "Ferry") + "|" + scenario;
    }

    static void report(Server ferry, Server openssh, Server encrypted, double[] cpuAtStart) throws IOException {
        System.out.println();
        System.out.println("| scenario | Ferry | OpenSSH | Ferry / OpenSSH |");
        System.out.println("|---|---|---|---|");
        for (String scenario : scenarios("")) {
            boolean rate = !scenario.contains(":");
            String unit = scenario.contains("files/s") ? "" : rate ? " (MB/s)" : "";
            row(scenario + unit, samples.get("Ferry|" + scenario), samples.get("OpenSSH|" + scenario),
                    scenario.endsWith("failures"));
        }
        System.out.println();
        List<String> cpu = scenarios("cpu|");
        if (!cpu.isEmpty()) {
            System.out.println("CPU seconds per GiB (server); the small files' rows: CPU milliseconds per file");
            System.out.println();
            System.out.println("| scenario | Ferry | OpenSSH | Ferry / OpenSSH |");
            System.out.println("|---|---|---|---|");
            for (String scenario : cpu) {
                row(scenario, samples.get("cpu|Ferry|" + scenario), samples.get("cpu|OpenSSH|" + scenario), false);
            }
            System.out.println();
        }
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
        if (bulkBytes[0] > 0 && bulkBytes[1] > 0) {
            System.out.printf(Locale.ROOT, "CPU seconds per GiB moved (single and %d-stream transfers): Ferry %.2f, "
                    + "OpenSSH %.2f (sshd and its sessions)%n", STREAMS, bulkCpu[0] / (bulkBytes[0] / GIB),
                    bulkCpu[1] / (bulkBytes[1] / GIB));
        }
        System.out.printf(Locale.ROOT, "Ferry peak RSS: %d MiB (plain node), %d MiB (encrypted node); CPU seconds "
                + "over the whole bench: Ferry %.0f, OpenSSH %.0f%n", ferry.peakRssKib() / 1024,
                encrypted.peakRssKib() / 1024, ferry.cpuSeconds() - cpuAtStart[0],
                openssh.cpuSeconds() - cpuAtStart[1]);
    }

    /** Ferry's scenarios under a prefix ("" or "cpu|"), in the order they first ran. */
    static List<String> scenarios(String prefix) {
        return samples.keySet().stream().filter(k -> k.startsWith(prefix + "Ferry|"))
                .map(k -> k.substring((prefix + "Ferry|").length())).toList();
    }

    /**
     * One table row of medians; a side without samples (OpenSSH has no heap) is left empty. A count (failures) has
     * no ratio.
     */
    static void row(String scenario, List<Double> ferry, List<Double> openssh, boolean count) {
        Function<List<Double>, String> cell = v -> v == null ? ""
                : count ? String.format(Locale.ROOT, "%.0f", median(v)) : format(median(v));
        String f = cell.apply(ferry);
        String o = cell.apply(openssh);
        String ratio = count || ferry == null || openssh == null ? ""
                : String.format(Locale.ROOT, "%.2f", median(ferry) / median(openssh));
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", scenario, f, o, ratio);
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
                // the default 10:30:100 would drop most of the concurrent logins: the reference is not held back
                "MaxStartups " + Math.max(2000, 2 * Math.max(SESSIONS, IDLE)),
                "Ciphers " + AES + "," + CHACHA,
                // OpenSSH's SFTP server inside the session's own sshd process (issue 25's anchor): no shell, no
                // extra process. An external sftp-server would be started through the user's shell (bash -c), which
                // sources ~/.bashrc: a login script that forks (pyenv init in root's on one bench machine, ~100
                // processes and 0.6 CPU s a session) would count as OpenSSH's. HOME has no .bashrc either way.
                "Subsystem sftp internal-sftp",
                "SetEnv HOME=" + dir,
                "LogLevel ERROR", ""));
        if ("root".equals(user)) {
            Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
        }
        ProcessBuilder pb = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile());
        Process p = pb.start();
        started.add(p);
        Server server = new Server("OpenSSH", user, port, files.toString(), p, dir, null, null);
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
                "-jar", jar.toString(), "--ferry.data-dir=" + dir.resolve("data"), "--server.port=" + http,
                "--server.address=127.0.0.1", "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1",
                // every bench client comes from 127.0.0.1, all as one account: no door limits (the allow-list lifts
                // the per-address ones: max-per-address 50, connections-per-minute 300), and none on connections
                // (max-connections, 1000 in all), logins waiting (max-startups, 10:30:100) or sessions of one
                // account (max-sessions-per-account, 20): FERRY_BENCH_SESSIONS and FERRY_BENCH_IDLE open hundreds
                "--ferry.sftp.limits.allow-list=127.0.0.1", "--ferry.sftp.limits.max-startups=100000",
                "--ferry.sftp.limits.max-connections=100000", "--ferry.sftp.max-sessions-per-account=100000",
                "--ferry.sftp.ciphers=" + AES + "," + CHACHA, "--ferry.storage.encryption=" + encrypted,
                "--ferry.ftps.enabled=false", "--ferry.cluster.port=" + freePort(), "--logging.level.root=WARN"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ferry.log").toFile());
        pb.environment().put("FERRY_ADMIN_PASSWORD", password);
        Process p = pb.start();
        started.add(p);
        String auth = "Basic " + Base64.getEncoder()
                .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + dir.resolve("ferry.log"));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
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
        post(HTTP, auth, "http://127.0.0.1:" + http + "/api/v1/accounts", "{\"username\":\"bench\"}");
        String publicKey = Files.readString(Path.of(key + ".pub")).trim();
        post(HTTP, auth, "http://127.0.0.1:" + http + "/api/v1/accounts/bench/keys",
                "{\"publicKey\":\"" + publicKey + "\"}");
        return new Server(name, "bench", sftp, "/", p, dir, "http://127.0.0.1:" + http, auth);
    }

    /** GETs a path of Ferry's HTTP API as its administrator; the body. */
    static String get(Server s, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(s.api + path))
                .header("Authorization", s.auth).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
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
        var exits = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            exits[i] = processes[i].onExit().thenRun(() -> ends[k] = System.nanoTime());
        }
        CompletableFuture.allOf(exits).get(30, TimeUnit.MINUTES);
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
        Process p = new ProcessBuilder(sftpCommand(s, cipher, batch.toString())).redirectErrorStream(true)
                .redirectOutput(work.resolve("batch-" + batchName + ".out").toFile()).start();
        p.getOutputStream().close();
        return p;
    }

    /** The stock sftp client in batch mode against a server; batch "-" reads the commands from stdin. */
    static List<String> sftpCommand(Server s, String cipher, String batch) {
        return List.of("sftp", "-q", "-b", batch, "-i", key.toString(),
                "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "Ciphers=" + cipher, "-P", String.valueOf(s.port),
                s.user + "@127.0.0.1");
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

    /** A positive whole number from the environment, or the default when unset. */
    static int positiveEnv(String name, int otherwise) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        int n = Integer.parseInt(value.trim());
        if (n < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, was " + value);
        }
        return n;
    }

    /** Occurrences of a string in a text. */
    static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + what.length())) {
            n++;
        }
        return n;
    }

    /** The process tree from /proc: parent -> children; names filled with each process's name. */
    static Map<Long, List<Long>> processTree(Map<Long, String> names) throws IOException {
        Map<Long, List<Long>> tree = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                try {
                    String stat = Files.readString(proc.resolve("stat"));
                    long pid = Long.parseLong(proc.getFileName().toString());
                    // after the name in parentheses: state, then the parent's pid
                    long parent = Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
                    tree.computeIfAbsent(parent, k -> new ArrayList<>()).add(pid);
                    names.put(pid, stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        }
        return tree;
    }

    /** The direct children of a process, zombies included. */
    static List<Long> children(long pid) throws IOException {
        return processTree(new HashMap<>()).getOrDefault(pid, List.of());
    }

    /** All descendants of a process. */
    static List<Long> descendants(long pid) throws IOException {
        Map<Long, List<Long>> tree = processTree(new HashMap<>());
        List<Long> all = new ArrayList<>();
        List<Long> next = new ArrayList<>(tree.getOrDefault(pid, List.of()));
        while (!next.isEmpty()) {
            long p = next.remove(next.size() - 1);
            all.add(p);
            next.addAll(tree.getOrDefault(p, List.of()));
        }
        return all;
    }

    /** A field of /proc/pid/status in KiB (VmRSS:, VmHWM:), -1 when absent. */
    static long statusKib(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** A field of /proc/pid/smaps_rollup (Rss:, Pss:) in KiB, summed over the processes; one gone counts 0. */
    static long smapsKib(List<Long> pids, String field) {
        long sum = 0;
        for (long pid : pids) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                    if (line.startsWith(field)) {
                        sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return sum;
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
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on " + port);
    }

    /** Runs a command to its end; its output, or fails the bench. */
    static String run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
        return out;
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
