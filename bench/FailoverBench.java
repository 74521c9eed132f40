import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Kills the primary of a two-node active-passive cluster with SIGKILL, again and again, and measures how long the
 * cluster is without a primary and without a node that serves partners. Run with bench/failover.sh.
 *
 * Arguments: ferry.jar workDir kills jdbcUrl dbUser
 */
public class FailoverBench {

    static final String ADMIN = "failover-bench-" + Long.toHexString(new SecureRandom().nextLong());
    static final Pattern HOLDER = Pattern.compile("\"primary\":\\{\"node\":\"([^\"]+)\",\"token\":(\\d+)");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static Path work;
    static String dbUrl;
    static String dbUser;
    static String masterKey;

    static final class Node {
        final String id;
        final int http = freePort();
        final int sftp = freePort();
        final int hazelcast = freePort();
        Node other;
        Process process;
        int starts;

        Node(String id) {
            this.id = id;
        }

        void start(Path jar) throws IOException {
            Path log = work.resolve(id + "-" + (++starts) + ".log");
            ProcessBuilder pb = new ProcessBuilder(javaBinary(), "-jar", jar.toString(),
                    "--ferry.data-dir=" + work.resolve(id), "--ferry.storage.root=" + work.resolve("nas"),
                    "--server.port=" + http, "--server.address=127.0.0.1", "--ferry.sftp.port=" + sftp,
                    "--ferry.sftp.bind-address=127.0.0.1", "--ferry.ftps.enabled=false",
                    "--ferry.cluster.name=ferry-failover-bench", "--ferry.cluster.node-id=" + id,
                    "--ferry.cluster.port=" + hazelcast, "--ferry.cluster.members=127.0.0.1:" + other.hazelcast,
                    "--ferry.cluster.mode=active-passive", "--spring.datasource.url=" + dbUrl,
                    "--spring.datasource.username=" + dbUser, "--spring.datasource.password=",
                    "--logging.level.root=WARN", "--logging.level.io.ferry.cluster=INFO")
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("FERRY_ADMIN_PASSWORD", ADMIN);
            pb.environment().put("FERRY_SECURITY_MASTER_KEY", masterKey);
            process = pb.start();
        }

        /** The lease holder and token this node reports, or null while it does not answer. */
        String[] primary() {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http + "/api/v1/cluster")).timeout(Duration.ofSeconds(2))
                        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                                ("admin:" + ADMIN).getBytes(StandardCharsets.UTF_8))).build(),
                        HttpResponse.BodyHandlers.ofString());
                Matcher m = HOLDER.matcher(r.body());
                return r.statusCode() == 200 && m.find() ? new String[] {m.group(1), m.group(2)} : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        int members() {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + http + "/api/v1/cluster")).timeout(Duration.ofSeconds(2))
                        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                                ("admin:" + ADMIN).getBytes(StandardCharsets.UTF_8))).build(),
                        HttpResponse.BodyHandlers.ofString());
                String body = r.body();
                int members = body.indexOf("\"members\":[");
                return members < 0 ? 0 : body.substring(members, body.indexOf(']', members)).split("\"node\"").length - 1;
            } catch (IOException | InterruptedException e) {
                return 0;
            }
        }

        boolean servesSftp() {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", sftp), 500);
                socket.setSoTimeout(2000);
                byte[] banner = socket.getInputStream().readNBytes(4);
                return new String(banner, StandardCharsets.US_ASCII).equals("SSH-");
            } catch (IOException e) {
                return false;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        work = Path.of(args[1]).toAbsolutePath();
        int kills = Integer.parseInt(args[2]);
        dbUrl = args[3];
        dbUser = args[4];
        deleteTree(work);
        Files.createDirectories(work);
        // its own copy: nodes restart from it, whatever a build does to app/target meanwhile
        Path jar = Files.copy(Path.of(args[0]), work.resolve("ferry-app.jar"));
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        masterKey = Base64.getEncoder().encodeToString(key);
        Node a = new Node("node-a");
        Node b = new Node("node-b");
        a.other = b;
        b.other = a;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Node n : new Node[] {a, b}) {
                if (n.process != null) {
                    n.process.destroyForcibly();
                }
            }
        }));
        a.start(jar);
        b.start(jar);
        awaitCluster(a, b);
        System.out.printf("Ferry on %s; lease 3 s, renewed every 1 s, standbys retry every 500 ms (defaults)%n",
                firstLine(List.of(javaBinary(), "-version")));
        System.out.println();
        System.out.println("| kill | killed | new primary | token | no primary for (ms) | no SFTP service for (ms) |");
        System.out.println("|---|---|---|---|---|---|");
        List<Double> noPrimary = new ArrayList<>();
        List<Double> noService = new ArrayList<>();
        for (int i = 1; i <= kills; i++) {
            String[] before = a.primary();
            Node primary = before[0].equals(a.id) ? a : b;
            Node survivor = primary.other;
            long killed = System.nanoTime();
            primary.process.destroyForcibly();
            long promotedAt = 0;
            long servingAt = 0;
            String[] after = null;
            long deadline = killed + TimeUnit.SECONDS.toNanos(60);
            while ((promotedAt == 0 || servingAt == 0) && System.nanoTime() < deadline) {
                if (promotedAt == 0) {
                    String[] now = survivor.primary();
                    if (now != null && now[0].equals(survivor.id)) {
                        promotedAt = System.nanoTime();
                        after = now;
                    }
                }
                if (servingAt == 0 && survivor.servesSftp()) {
                    servingAt = System.nanoTime();
                }
                Thread.sleep(20);
            }
            if (promotedAt == 0 || servingAt == 0) {
                throw new IllegalStateException("no failover within 60 s after kill " + i);
            }
            double p = (promotedAt - killed) / 1e6;
            double s = (servingAt - killed) / 1e6;
            noPrimary.add(p);
            noService.add(s);
            System.out.printf(Locale.ROOT, "| %d | %s | %s | %s -> %s | %.0f | %.0f |%n", i, primary.id, survivor.id,
                    before[1], after[1], p, s);
            primary.process.waitFor(30, TimeUnit.SECONDS);
            if (i < kills) {
                primary.start(jar); // back as a standby: nothing to resynchronise
                awaitCluster(a, b);
            }
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "no primary (ms): min %.0f, median %.0f, p90 %.0f, max %.0f%n",
                percentile(noPrimary, 0), percentile(noPrimary, 50), percentile(noPrimary, 90),
                percentile(noPrimary, 100));
        System.out.printf(Locale.ROOT, "no SFTP service (ms): min %.0f, median %.0f, p90 %.0f, max %.0f%n",
                percentile(noService, 0), percentile(noService, 50), percentile(noService, 90),
                percentile(noService, 100));
        for (Node n : new Node[] {a, b}) {
            n.process.destroy();
            n.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Until both nodes answer, see each other and agree on a primary. */
    static void awaitCluster(Node a, Node b) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (System.nanoTime() < deadline) {
            for (Node n : new Node[] {a, b}) {
                if (!n.process.isAlive()) {
                    throw new IllegalStateException(n.id + " exited; see its log in " + work);
                }
            }
            String[] pa = a.primary();
            String[] pb = b.primary();
            if (pa != null && pb != null && pa[0].equals(pb[0]) && a.members() == 2 && b.members() == 2) {
                Thread.sleep(2000); // let the renewals settle into their rhythm
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the two nodes did not form a cluster; see the logs in " + work);
    }

    static double percentile(List<Double> values, int p) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int index = (int) Math.ceil(p / 100.0 * v.length) - 1;
        return v[Math.max(0, Math.min(v.length - 1, index))];
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
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
