import java.io.DataInputStream;
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
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;

/**
 * The cost of an SSH login by key exchange: Ferry against a reference OpenSSH sshd, same machine, same client (MINA
 * SSHD's own, which speaks mlkem768x25519-sha256). One login is connect, key exchange, public-key authentication
 * with an ed25519 key, the {@code sftp} subsystem channel with the SFTP version handshake, and close: what an SFTP
 * partner does before its first transfer. Run with bench/login.sh, which builds the client's classpath and installs
 * openssh-server if needed.
 *
 * Arguments: ferry.jar resultsDir logins
 */
public class LoginBench {

    static final int WARMUP = 100;
    static final int THREADS = 8;
    static final long CLK_TCK = 100;
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** SSH_FXP_INIT, version 3: length 5, type 1, version 3. */
    static final byte[] SFTP_INIT = {0, 0, 0, 5, 1, 0, 0, 0, 3};
    static final byte SSH_FXP_VERSION = 2;
    static final String MLKEM = "mlkem768x25519-sha256";
    static final String CURVE = "curve25519-sha256";
    static final String SNTRUP = "sntrup761x25519-sha512@openssh.com";
    static final List<String> KEX = List.of(MLKEM, CURVE, SNTRUP);
    /**
     * What the Ferry node offers: its default list (SshAlgorithms.DEFAULT_KEX, unchanged order) with sntrup761, which
     * Ferry provides on request but does not offer by default, added last.
     */
    static final String FERRY_KEX = String.join(",", MLKEM, CURVE, "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521", "diffie-hellman-group16-sha512",
            "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256", SNTRUP);

    static Path work;
    static Path key;
    static KeyPair clientKey;
    static final List<Process> started = new ArrayList<>();

    /** A server under test: how to reach it, and its process, whose CPU time is the figure. */
    record Server(String name, String user, int port, Process process, Path dir) {

        /** CPU seconds the server has used so far: its own, plus its reaped children's (OpenSSH's sessions). */
        double cpuSeconds() throws IOException {
            String[] f = stat("/proc/" + process.pid() + "/stat");
            // from field 3 on: utime is 14, stime 15, cutime 16, cstime 17 (1-based in proc(5))
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / (double) CLK_TCK;
        }

        /**
         * Waits until every session process has exited and been reaped (sshd forks per login; until it reaps a
         * child, that child's CPU is not in its cutime/cstime), then a little longer for a server's asynchronous
         * closing to finish.
         */
        void settle() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (process.toHandle().children().findAny().isPresent()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + ": session processes still there after 60 s: "
                            + process.toHandle().children().map(h -> h.pid() + " " + h.info().commandLine()
                                    .orElse("?")).toList());
                }
                Thread.sleep(20);
            }
            Thread.sleep(250);
        }
    }

    /** One measured key exchange on one server; offered false when the server does not offer it. */
    record Row(String kex, Server server, boolean offered, String note, double rate1, double rate8, double cpu1,
            double cpu8, double client1, double p50, double p99) {
    }

    public static void main(String[] args) throws Exception {
        Path jar = Path.of(args[0]).toAbsolutePath();
        Path results = Path.of(args[1]).toAbsolutePath();
        int n = Integer.parseInt(args[2]);
        work = results.resolve("run");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> started.forEach(Process::destroyForcibly)));
        deleteTree(work);
        Files.createDirectories(work);
        key = work.resolve("client_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        Iterator<KeyPair> keys = new FileKeyPairProvider(key).loadKeys(null).iterator();
        clientKey = keys.next();

        Server ferry = startFerry(jar);
        Server openssh = startOpenSsh();
        List<Row> rows = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        Map<String, SshClient> clients = new LinkedHashMap<>();
        Map<String, List<Server>> offering = new LinkedHashMap<>();
        try {
            for (String kex : KEX) {
                SshClient client = client(kex);
                clients.put(kex, client);
                offering.put(kex, new ArrayList<>());
                for (Server s : List.of(ferry, openssh)) {
                    String refusal = probe(client, s, kex, versions);
                    if (refusal == null) {
                        offering.get(kex).add(s);
                    } else {
                        rows.add(new Row(kex, s, false, refusal, 0, 0, 0, 0, 0, 0, 0));
                    }
                }
            }
            // untimed, every key exchange before the first timed row: the JITs (Ferry's and the client's) compile
            // the login path, whose compiling would otherwise be in the first rows' CPU; caches fill
            System.out.printf("warm-up: %d logins per key exchange and server%n", WARMUP);
            for (String kex : KEX) {
                for (Server s : offering.get(kex)) {
                    sequential(clients.get(kex), s, kex, WARMUP);
                }
            }
            Map<String, Double> idle = idleCpu(List.of(ferry, openssh));
            for (String kex : KEX) {
                SshClient client = clients.get(kex);
                for (Server s : offering.get(kex)) {
                    System.out.printf("%s on %s: %d logins, 1 client%n", kex, s.name, n);
                    Row r = sequential(client, s, kex, n);
                    System.out.printf(Locale.ROOT, "  %.1f logins/s, server CPU %.2f ms per login%n", r.rate1,
                            r.cpu1 * 1000);
                    System.out.printf("%s on %s: %d logins, %d clients%n", kex, s.name, n, THREADS);
                    double[] parallel = parallel(client, s, kex, n);
                    System.out.printf(Locale.ROOT, "  %.1f logins/s, server CPU %.2f ms per login%n", parallel[0],
                            parallel[1] * 1000);
                    rows.add(new Row(kex, s, true, "", r.rate1, parallel[0], r.cpu1, parallel[1], r.client1, r.p50,
                            r.p99));
                }
            }
            String report = report(rows, versions, n, idle);
            System.out.println();
            System.out.print(report);
            Files.writeString(results.resolve("results.md"), report);
        } finally {
            for (SshClient client : clients.values()) {
                client.stop();
            }
        }
        for (Server s : List.of(ferry, openssh)) {
            s.process.destroy();
            s.process.waitFor(30, TimeUnit.SECONDS);
        }
        deleteTree(ferry.dir.resolve("data"));
    }

    // ---- measuring

    /** n logins one after another: rate, the server's and the client's CPU per login, latency percentiles. */
    static Row sequential(SshClient client, Server s, String kex, int n) throws Exception {
        s.settle();
        double cpu = s.cpuSeconds();
        double own = selfCpuSeconds();
        double[] latency = new double[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            login(client, s, kex);
            latency[i] = (System.nanoTime() - t) / 1e6;
        }
        double wall = (System.nanoTime() - start) / 1e9;
        own = selfCpuSeconds() - own;
        s.settle();
        cpu = s.cpuSeconds() - cpu;
        Arrays.sort(latency);
        return new Row(kex, s, true, "", n / wall, 0, cpu / n, 0, own / n, percentile(latency, 50),
                percentile(latency, 99));
    }

    /** n logins by THREADS clients at once: {logins per second, server CPU seconds per login}. */
    static double[] parallel(SshClient client, Server s, String kex, int n) throws Exception {
        s.settle();
        double cpu = s.cpuSeconds();
        AtomicInteger left = new AtomicInteger(n);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            long start = System.nanoTime();
            for (int t = 0; t < THREADS; t++) {
                futures.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        login(client, s, kex);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.MINUTES);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            s.settle();
            return new double[] {n / wall, (s.cpuSeconds() - cpu) / n};
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The servers' CPU while nobody logs in, over the same 5 s, by name: ms per second. A server's background work
     * (Ferry's cluster, schedules, housekeeping) is in every figure of its rows.
     */
    static Map<String, Double> idleCpu(List<Server> servers) throws Exception {
        double[] cpu = new double[servers.size()];
        for (int i = 0; i < cpu.length; i++) {
            servers.get(i).settle();
        }
        for (int i = 0; i < cpu.length; i++) {
            cpu[i] = servers.get(i).cpuSeconds();
        }
        long start = System.nanoTime();
        Thread.sleep(5000);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> idle = new HashMap<>();
        for (int i = 0; i < cpu.length; i++) {
            idle.put(servers.get(i).name, (servers.get(i).cpuSeconds() - cpu[i]) * 1000 / seconds);
        }
        return idle;
    }

    // ---- the client

    /** A client that offers only {@code kex}, aes128-gcm, ssh-ed25519 and public-key authentication. */
    static SshClient client(String kex) {
        BuiltinDHFactories factory = BuiltinDHFactories.fromFactoryName(kex);
        if (factory == null || !factory.isSupported()) {
            throw new IllegalStateException("the client cannot speak " + kex + " (BouncyCastle on the classpath?)");
        }
        SshClient client = SshClient.setUpDefaultClient();
        client.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false, List.of(factory),
                ClientBuilder.DH2KEX));
        client.setCipherFactories(new ArrayList<>(List.of(BuiltinCiphers.aes128gcm)));
        client.setSignatureFactories(new ArrayList<>(List.of(BuiltinSignatures.ed25519)));
        client.setUserAuthFactories(new ArrayList<>(List.of(UserAuthPublicKeyFactory.INSTANCE)));
        client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        // nothing from ~/.ssh: no config, no default identities
        client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
        client.start();
        return client;
    }

    /**
     * One login; fails unless the key exchange negotiated is {@code kex}. The sftp subsystem is ended as OpenSSH's
     * sftp ends it ({@code bye}): EOF, the server closes the channel, then SSH_MSG_DISCONNECT. Returns the server's
     * version.
     */
    static String login(SshClient client, Server s, String kex) throws IOException {
        try (ClientSession session = client.connect(s.user, "127.0.0.1", s.port).verify(TIMEOUT).getSession()) {
            session.addPublicKeyIdentity(clientKey);
            session.auth().verify(TIMEOUT);
            String negotiated = session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS);
            if (!kex.equals(negotiated)) {
                throw new IllegalStateException(s.name + ": asked for " + kex + ", negotiated " + negotiated);
            }
            try (ChannelSubsystem channel = session.createSubsystemChannel("sftp")) {
                channel.open().verify(TIMEOUT);
                OutputStream toServer = channel.getInvertedIn();
                toServer.write(SFTP_INIT);
                toServer.flush();
                DataInputStream fromServer = new DataInputStream(channel.getInvertedOut());
                byte[] version = new byte[fromServer.readInt()];
                fromServer.readFully(version);
                if (version.length < 5 || version[0] != SSH_FXP_VERSION) {
                    throw new IllegalStateException(s.name + ": no SFTP version answer");
                }
                toServer.close();
                Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED),
                        TIMEOUT);
                if (!events.contains(ClientChannelEvent.CLOSED)) {
                    throw new IllegalStateException(s.name + ": the sftp channel did not close: " + events);
                }
            }
            String version = session.getServerVersion();
            session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, "disconnected by user");
            return version;
        }
    }

    /** One login to see whether {@code s} offers {@code kex}: null if it does, else why not. */
    static String probe(SshClient client, Server s, String kex, List<String> versions) throws IOException {
        try {
            String version = s.name + ": " + login(client, s, kex);
            if (!versions.contains(version)) {
                versions.add(version);
            }
            return null;
        } catch (IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t.getMessage() != null && t.getMessage().contains("Unable to negotiate")) {
                    System.out.printf("%s does not offer %s: %s%n", s.name, kex, t.getMessage());
                    return "not offered";
                }
            }
            throw e;
        }
    }

    // ---- the report

    static String report(List<Row> rows, List<String> versions, int n, Map<String, Double> idle)
            throws IOException {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "machine: %d cores, %s; client: MINA SSHD %s on Java %s%n",
                Runtime.getRuntime().availableProcessors(), cpuModel(), SshClient.class.getPackage()
                        .getImplementationVersion(), Runtime.version()));
        versions.forEach(v -> out.append("server ").append(v).append('\n'));
        out.append(String.format(Locale.ROOT, "%d logins per row after %d untimed; a login: connect, key exchange, "
                + "ed25519 public-key auth, sftp subsystem + SFTP version handshake, close (OpenSSH: Subsystem sftp "
                + "internal-sftp)%n%n", n, WARMUP));
        out.append("| kex | server | logins/s (1 client) | logins/s (" + THREADS + " clients) "
                + "| server CPU ms per login | logins per second per core |\n");
        out.append("|---|---|---|---|---|---|\n");
        rows = rows.stream().sorted(Comparator.comparing((Row r) -> KEX.indexOf(r.kex))
                .thenComparing(r -> r.server.name)).toList();
        for (Row r : rows) {
            if (!r.offered) {
                out.append(String.format("| %s | %s | %s | | | |%n", r.kex, r.server.name, r.note));
                continue;
            }
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.kex, r.server.name,
                    format(r.rate1), format(r.rate8), format(r.cpu1 * 1000), format(1 / r.cpu1)));
        }
        out.append(String.format(Locale.ROOT, "%nServer CPU per login from the 1-client run (Ferry: the JVM's utime+"
                + "stime; OpenSSH: sshd's own plus its reaped session processes'); the client's CPU is not counted. "
                + "Idle CPU, counted in those figures: %s.%n%n", idle.entrySet().stream().sorted(Map.Entry
                        .comparingByKey()).map(e -> String.format(Locale.ROOT, "%s %.1f ms per second", e.getKey(),
                                e.getValue())).collect(Collectors.joining(", "))));
        out.append("| kex | server | latency p50 ms (1 client) | p99 ms | server CPU ms per login, idle subtracted "
                + "(1 client) | server CPU ms per login (" + THREADS + " clients) | client CPU ms per login "
                + "(1 client) |\n");
        out.append("|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            if (r.offered) {
                double net = r.cpu1 * 1000 - idle.getOrDefault(r.server.name, 0.0) / r.rate1;
                out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", r.kex,
                        r.server.name, format(r.p50), format(r.p99), format(net), format(r.cpu8 * 1000),
                        format(r.client1 * 1000)));
            }
        }
        return out.toString();
    }

    static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    static double percentile(double[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    // ---- servers

    static Server startOpenSsh() throws Exception {
        Path dir = work.resolve("openssh");
        Files.createDirectories(dir);
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
                // the default 10:30:100 could drop logins that overlap: the reference is not held back
                "MaxStartups 1000",
                // in-process: sshd would start /usr/lib/openssh/sftp-server through the user's shell (bash -c),
                // and Debian's bash sources ~/.bashrc for ssh sessions: whatever that runs would be measured
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR", ""));
        if ("root".equals(user)) {
            Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
        }
        Process p = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
        started.add(p);
        awaitPort(port, p, dir.resolve("sshd.log"));
        return new Server("OpenSSH", user, port, p, dir);
    }

    static Server startFerry(Path jar) throws Exception {
        Path dir = work.resolve("ferry");
        Files.createDirectories(dir);
        int http = freePort();
        int sftp = freePort();
        String password = "bench-" + Long.toHexString(new Random().nextLong());
        List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-modules", "jdk.incubator.vector",
                "-jar", jar.toString(), "--ferry.data-dir=" + dir.resolve("data"), "--server.port=" + http,
                "--server.address=127.0.0.1", "--ferry.sftp.port=" + sftp, "--ferry.sftp.bind-address=127.0.0.1",
                // every bench client comes from 127.0.0.1: no door limits
                "--ferry.sftp.limits.allow-list=127.0.0.1", "--ferry.sftp.limits.max-startups=100000",
                "--ferry.sftp.kex-algorithms=" + FERRY_KEX, "--ferry.storage.encryption=false",
                "--ferry.ftps.enabled=false", "--ferry.cluster.port=" + freePort(), "--logging.level.root=WARN"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("ferry.log").toFile());
        pb.environment().put("FERRY_ADMIN_PASSWORD", password);
        Process p = pb.start();
        started.add(p);
        HttpClient httpClient = HttpClient.newHttpClient();
        String auth = "Basic " + Base64.getEncoder().encodeToString(("admin:" + password)
                .getBytes(StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException("Ferry exited; see " + dir.resolve("ferry.log"));
            }
            try {
                HttpResponse<String> r = httpClient.send(HttpRequest.newBuilder(
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
        post(httpClient, auth, "http://127.0.0.1:" + http + "/api/v1/accounts", "{\"username\":\"bench\"}");
        String publicKey = Files.readString(Path.of(key + ".pub")).trim();
        post(httpClient, auth, "http://127.0.0.1:" + http + "/api/v1/accounts/bench/keys",
                "{\"publicKey\":\"" + publicKey + "\"}");
        return new Server("Ferry", "bench", sftp, p, dir);
    }

    static void post(HttpClient client, String auth, String url, String json) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException(url + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    // ---- helpers

    /** The fields of a /proc stat file from field 3 (state) on, so field k (1-based in proc(5)) is at k - 3. */
    static String[] stat(String file) throws IOException {
        String stat = Files.readString(Path.of(file));
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    }

    /** This process's (the client's) CPU seconds. */
    static double selfCpuSeconds() throws IOException {
        String[] f = stat("/proc/self/stat");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLK_TCK;
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
