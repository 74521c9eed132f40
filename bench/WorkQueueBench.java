import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Work items per second through the durable queue on a two-node cluster: N small files uploaded into a routed
 * folder, each delivered to a loopback SFTP partner. Run with bench/workqueue.sh.
 *
 * Arguments: ferry.jar workDir files KiB jdbcUrl dbUser [kill|backlog|-] [ferry|openssh]. The partner is the first
 * node's own SFTP listener (ferry, the default) or a reference OpenSSH sshd of the bench's own on loopback (openssh). With "kill", the second node is killed
 * (SIGKILL) while it delivers and started again 5 s later. With "backlog", the files are uploaded first into a folder
 * no route watches, then one run of a push schedule queues a delivery for each at once: the rate is then the
 * queue's own (the cluster draining a backlog), not bounded by one client's upload rate.
 */
public class WorkQueueBench {

    static final String ADMIN = "workqueue-bench-" + Long.toHexString(new SecureRandom().nextLong());
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static Path work;

    record Node(String id, int http, int sftp, int hazelcast, Process process) {
        String url(String path) {
            return "http://127.0.0.1:" + http + path;
        }
    }

    public static void main(String[] args) throws Exception {
        work = Path.of(args[1]).toAbsolutePath();
        int files = Integer.parseInt(args[2]);
        int kib = Integer.parseInt(args[3]);
        String dbUrl = args[4];
        String dbUser = args[5];
        boolean kill = args.length > 6 && args[6].equals("kill");
        boolean backlog = args.length > 6 && args[6].equals("backlog");
        boolean openssh = args.length > 7 && args[7].equals("openssh");
        String passes = System.getenv("FERRY_BENCH_WARMUPS");
        int warmups = passes == null || passes.isBlank() ? 1 : Integer.parseInt(passes);
        if (files > 1000) {
            throw new IllegalArgumentException("at most 1000 files: the bench reads the items through GET "
                    + "/api/v1/work-items, which lists at most 1000");
        }
        deleteTree(work);
        Files.createDirectories(work);
        Path jar = Files.copy(Path.of(args[0]), work.resolve("ferry-app.jar"));
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String masterKey = Base64.getEncoder().encodeToString(key);
        int[] hz = {freePort(), freePort()};
        int[] https = {freePort(), freePort()};
        int[] sftps = {freePort(), freePort()};
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            nodes.add(start(jar, i, https[i], sftps[i], hz, dbUrl, dbUser, masterKey));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> nodes.forEach(n -> n.process().destroyForcibly())));
        for (Node n : nodes) {
            awaitReady(n);
        }
        Node a = nodes.get(0);

        // accounts: the source (key login for the stock sftp client) and the partner side
        Path clientKey = work.resolve("client_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", clientKey.toString()));
        post(a, "/api/v1/accounts", "{\"username\":\"src\"}", 201);
        post(a, "/api/v1/accounts/src/keys", "{\"publicKey\":\"" + Files.readString(Path.of(clientKey + ".pub")).trim()
                + "\"}", 201);
        post(a, "/api/v1/accounts", "{\"username\":\"dst\",\"password\":\"partner-side-password\"}", 201);
        Files.createDirectories(work.resolve("nas/dst/in"));
        Files.createDirectories(work.resolve("nas/src/in"));
        Files.createDirectories(work.resolve("nas/src/out"));
        Files.createDirectories(work.resolve("nas/src/warm"));
        String partner = "{\"name\":\"%s\",\"host\":\"127.0.0.1\",\"port\":" + a.sftp() + ",\"username\":\"dst\","
                + "\"password\":\"partner-side-password\",\"hostKey\":\"%s\",\"remoteDir\":\"/in\"}";
        Path partnerIn = work.resolve("nas/dst/in");
        if (openssh) {
            Path dir = work.resolve("openssh");
            partnerIn = Files.createDirectories(dir.resolve("in"));
            for (int w = 1; w <= warmups; w++) {
                Files.createDirectories(dir.resolve("warm-" + w));
            }
            String hostKey = startOpenSsh(dir, clientKey);
            String sshPartner = "{\"name\":\"%s\",\"host\":\"127.0.0.1\",\"port\":" + sshdPort + ",\"username\":\""
                    + System.getProperty("user.name") + "\",\"privateKey\":\"" + Files.readString(clientKey)
                    .replace("\n", "\\n") + "\",\"hostKey\":\"" + hostKey + "\",\"remoteDir\":\"%s\"}";
            post(a, "/api/v1/partners", String.format(sshPartner, "loopback", dir.resolve("in")), 201);
            for (int w = 1; w <= warmups; w++) {
                post(a, "/api/v1/partners", String.format(sshPartner, "loopback-warm-" + w, dir.resolve("warm-" + w)),
                        201);
            }
        } else {
            post(a, "/api/v1/partners", String.format(partner, "probe", "SHA256:" + "A".repeat(43)), 201);
            Matcher presented = Pattern.compile("\"presentedHostKey\":\"([^\"]+)\"")
                    .matcher(post(a, "/api/v1/partners/probe/check", "", 200));
            if (!presented.find()) {
                throw new IllegalStateException("the partner check did not report a host key");
            }
            post(a, "/api/v1/partners", String.format(partner, "loopback", presented.group(1)), 201);
            for (int w = 1; w <= warmups; w++) {
                Files.createDirectories(work.resolve("nas/dst/warm-" + w));
                post(a, "/api/v1/partners", String.format(partner, "loopback-warm-" + w, presented.group(1))
                        .replace("\"/in\"", "\"/warm-" + w + "\""), 201);
            }
        }
        post(a, "/api/v1/routes", "{\"name\":\"bench\",\"account\":\"src\",\"pathGlob\":\"/in/*.dat\","
                + "\"partner\":\"loopback\"}", 201);

        Path local = Files.createDirectories(work.resolve("local"));
        Random random = new Random(7);
        byte[] data = new byte[kib * 1024];
        for (int i = 0; i < files; i++) {
            random.nextBytes(data);
            Files.write(local.resolve(String.format("f%05d.dat", i)), data);
        }
        int warm = files;
        Path batch = Files.writeString(work.resolve("batch"), (backlog ? "cd /out" : "cd /in") + "\nput " + local
                + "/*.dat\n" + (backlog ? "cd /warm\nput " + local + "/*.dat\n" : ""));
        long start = System.nanoTime();
        Process sftp = new ProcessBuilder("sftp", "-q", "-b", batch.toString(), "-i", clientKey.toString(), "-o",
                "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o",
                "LogLevel=ERROR", "-P", String.valueOf(a.sftp()), "src@127.0.0.1").redirectErrorStream(true)
                .redirectOutput(work.resolve("sftp.out").toFile()).start();
        if (kill) {
            // SIGKILL the second node (a worker, not the SFTP node) while it delivers, then start it again
            long quarter = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (count(get(a, "/api/v1/work-items?limit=1000&state=done"), "\"state\":\"done\"") < files / 4
                    && System.nanoTime() < quarter) {
                Thread.sleep(100);
            }
            int running = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (running == 0 && System.nanoTime() < until) { // kill it with deliveries in hand
                running = count(get(a, "/api/v1/work-items?limit=1000&state=running"), "\"claimedBy\":\"node-1\"");
            }
            nodes.get(1).process().destroyForcibly();
            nodes.get(1).process().waitFor(30, TimeUnit.SECONDS);
            System.out.println("killed node-1 with " + running + " deliveries in hand");
            Thread.sleep(5000);
            nodes.set(1, start(jar, 1, https[1], sftps[1], hz, dbUrl, dbUser, masterKey));
        }
        if (sftp.waitFor() != 0) {
            throw new IllegalStateException("upload failed: " + Files.readString(work.resolve("sftp.out")));
        }
        double uploaded = (System.nanoTime() - start) / 1e9;
        if (backlog) {
            // warm-up (servers run warm): the same files pushed to other folders of the partner, not measured
            for (int w = 1; w <= warmups; w++) {
                post(a, "/api/v1/schedules", "{\"name\":\"warm-up-" + w + "\",\"kind\":\"push\",\"cron\":\"@yearly\","
                        + "\"partner\":\"loopback-warm-" + w + "\",\"account\":\"src\",\"folder\":\"/warm\","
                        + "\"fileGlob\":\"*.dat\"}", 201);
                post(a, "/api/v1/schedules/warm-up-" + w + "/run", "", 200);
                long warmUntil = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (count(get(a, "/api/v1/work-items?limit=1000&state=done"), "\"route\":\"warm-up-" + w + "\"")
                        < warm && System.nanoTime() < warmUntil) {
                    Thread.sleep(1000);
                }
            }
            post(a, "/api/v1/schedules", "{\"name\":\"backlog\",\"kind\":\"push\",\"cron\":\"@yearly\","
                    + "\"partner\":\"loopback\",\"account\":\"src\",\"folder\":\"/out\",\"fileGlob\":\"*.dat\"}", 201);
            start = System.nanoTime();
            post(a, "/api/v1/schedules/backlog/run", "", 200);
        }
        String killed = "no";
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        int done = 0;
        int maxDepth = 0;
        while (System.nanoTime() < deadline) {
            String body = get(a, "/api/v1/work-items?limit=1000&state=done");
            // the measured items (the warm-up's are done too, and listed after them)
            done = backlog ? count(body, "\"route\":\"backlog\"") : count(body, "\"state\":\"done\"");
            maxDepth = Math.max(maxDepth, files - done);
            if (done >= files) {
                break;
            }
            // the rate comes from the items' own times, so a slow poll loses nothing; each poll costs the node an
            // admin password check (Argon2id) and a 1000-item listing, which a fast poll takes from the deliveries
            Thread.sleep(1000);
        }
        double all = (System.nanoTime() - start) / 1e9;
        // from the items' own database times: first queued to last done
        String items = get(a, "/api/v1/work-items?limit=1000");
        LocalDateTime first = null;
        LocalDateTime last = null;
        Matcher times = Pattern.compile("\"createdAt\":\"([^\"]+)\",\"updatedAt\":\"([^\"]+)\"").matcher(items);
        while (times.find()) {
            LocalDateTime created = LocalDateTime.parse(times.group(1));
            LocalDateTime updated = LocalDateTime.parse(times.group(2));
            first = first == null || created.isBefore(first) ? created : first;
            last = last == null || updated.isAfter(last) ? updated : last;
        }
        int rerun = files - count(items, "\"attempts\":1,");
        int byNode0 = count(items, "\"claimedBy\":\"node-0\"");
        int byNode1 = count(items, "\"claimedBy\":\"node-1\"");
        long arrived;
        long parts;
        try (Stream<Path> in = Files.list(partnerIn)) {
            List<String> names = in.map(p -> p.getFileName().toString()).toList();
            arrived = names.stream().filter(n -> n.endsWith(".dat")).count();
            parts = names.stream().filter(n -> n.endsWith(".ferry-part")).count();
        }
        double deliverySeconds = Duration.between(first, last).toMillis() / 1000.0;
        System.out.printf(Locale.ROOT, "Ferry on %s, 2 nodes active-active, MariaDB on the same machine, partner: %s%n",
                firstLine(List.of(javaBinary(), "-version")), openssh ? "OpenSSH sshd on loopback"
                        : "the first node's own SFTP listener");
        System.out.printf(Locale.ROOT, "%d files of %d KiB: uploaded in %.1f s (%.0f files/s); all delivered after "
                + "%.1f s%s; first queued to last done %.1f s = %.0f work items/s%n", files, kib, uploaded,
                files / uploaded, all, backlog ? " (from the push that queued them all)" : "", deliverySeconds,
                files / deliverySeconds);
        System.out.printf(Locale.ROOT, "done %d of %d; last claimed by node-0 %d, node-1 %d; files at the partner %d "
                + "(each exactly once: %s), temporary files left %d; items that needed more than one attempt %d%n",
                done, files, byNode0, byNode1, arrived, arrived == files, parts, rerun);
        for (Node n : nodes) {
            n.process().destroy();
            n.process().waitFor(30, TimeUnit.SECONDS);
        }
        if (sshd != null) {
            sshd.destroy();
            sshd.waitFor(30, TimeUnit.SECONDS);
        }
    }

    static Process sshd;
    static int sshdPort;

    /** A reference OpenSSH sshd of the bench's own (own config, host key, authorized key); its host key's SHA256. */
    static String startOpenSsh(Path dir, Path clientKey) throws Exception {
        Path hostKey = dir.resolve("host_key");
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString()));
        Files.copy(Path.of(clientKey + ".pub"), dir.resolve("authorized_keys"));
        sshdPort = freePort();
        String user = System.getProperty("user.name");
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n", "Port " + sshdPort, "ListenAddress 127.0.0.1",
                "HostKey " + hostKey, "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + dir.resolve("authorized_keys"), "AllowUsers " + user,
                "PermitRootLogin prohibit-password", "PubkeyAuthentication yes", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no", "UseDNS no", "MaxStartups 1000",
                "Subsystem sftp /usr/lib/openssh/sftp-server", "LogLevel ERROR", ""));
        if ("root".equals(user)) {
            Files.createDirectories(Path.of("/run/sshd")); // privilege separation directory
        }
        sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("sshd.log").toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> sshd.destroyForcibly()));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", sshdPort)) {
                break;
            } catch (IOException notYet) {
                if (!sshd.isAlive()) {
                    throw new IllegalStateException("sshd exited: " + Files.readString(dir.resolve("sshd.log")));
                }
                Thread.sleep(100);
            }
        }
        Process keygen = new ProcessBuilder("ssh-keygen", "-lf", hostKey + ".pub").redirectErrorStream(true).start();
        String fingerprint = new String(keygen.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split(" ")[1];
        keygen.waitFor();
        return fingerprint;
    }

    static Node start(Path jar, int i, int http, int sftp, int[] hz, String dbUrl, String dbUser, String masterKey)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "--add-modules", "jdk.incubator.vector"));
        String options = System.getenv("FERRY_BENCH_JVM_OPTS"); // e.g. a profiler agent; %n is the node's number
        if (options != null && !options.isBlank()) {
            command.addAll(List.of(options.replace("%n", String.valueOf(i)).trim().split("\\s+")));
        }
        command.addAll(List.of("-jar", jar.toString(),
                "--ferry.data-dir=" + work.resolve("node-" + i), "--ferry.storage.root=" + work.resolve("nas"),
                "--server.port=" + http, "--server.address=127.0.0.1", "--ferry.sftp.port=" + sftp,
                "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.enabled=false",
                "--ferry.cluster.name=ferry-workqueue-bench", "--ferry.cluster.node-id=node-" + i,
                "--ferry.cluster.port=" + hz[i], "--ferry.cluster.members=127.0.0.1:" + hz[1 - i],
                "--spring.datasource.url=" + dbUrl, "--spring.datasource.username=" + dbUser,
                "--spring.datasource.password=", "--logging.level.root=WARN"));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(
                        work.resolve("node-" + i + ".log").toFile()));
        pb.environment().put("FERRY_ADMIN_PASSWORD", ADMIN);
        pb.environment().put("FERRY_SECURITY_MASTER_KEY", masterKey);
        return new Node("node-" + i, http, sftp, hz[i], pb.start());
    }

    static int count(String body, String needle) {
        int count = 0;
        for (int i = body.indexOf(needle); i >= 0; i = body.indexOf(needle, i + 1)) {
            count++;
        }
        return count;
    }

    static void awaitReady(Node n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            if (!n.process().isAlive()) {
                throw new IllegalStateException(n.id() + " exited; see " + work);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(n.url("/actuator/health/readiness"))).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(n.id() + " did not become ready");
    }

    static String auth() {
        return "Basic " + Base64.getEncoder().encodeToString(("admin:" + ADMIN).getBytes(StandardCharsets.UTF_8));
    }

    static String post(Node n, String path, String json, int expected) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(n.url(path))).header("Authorization",
                auth()).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
        return r.body();
    }

    static String get(Node n, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(n.url(path))).header("Authorization", auth()).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(command + " failed: " + out);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static String javaBinary() {
        String configured = System.getenv("FERRY_JAVA");
        return configured != null && !configured.isBlank() ? configured
                : Path.of(System.getProperty("java.home"), "bin", "java").toString();
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

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted((x, y) -> y.getNameCount() - x.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
