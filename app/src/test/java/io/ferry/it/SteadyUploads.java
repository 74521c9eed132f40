package io.ferry.it;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.sshd.sftp.client.SftpClient;

/**
 * A partner uploading one small file after another, for the fault tests (issue 22): each to a node the test picks
 * at that moment; remembers the uploads the server acknowledged (the close answered OK) with their SHA-256, and
 * counts the refused ones. Stops when closed.
 */
final class SteadyUploads implements AutoCloseable {

    private final SftpClients clients;
    private final Supplier<Integer> target;
    private final String username;
    private final String password;
    private final String prefix;
    private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    private SteadyUploads(SftpClients clients, Supplier<Integer> target, String username, String password,
            String prefix) {
        this.clients = clients;
        this.target = target;
        this.username = username;
        this.password = password;
        this.prefix = prefix;
        this.thread = new Thread(this::run, "steady-uploads-" + prefix);
        thread.setDaemon(true);
    }

    /**
     * Starts uploading {@code /prefix-N.bin} to the SFTP port {@code target} names each time (a node's, an edge's;
     * null: none now).
     */
    static SteadyUploads start(SftpClients clients, Supplier<Integer> target, String username, String password,
            String prefix) {
        SteadyUploads uploads = new SteadyUploads(clients, target, username, password, prefix);
        uploads.thread.start();
        return uploads;
    }

    private void run() {
        Random random = new Random(prefix.hashCode());
        for (int n = 0; running; n++) {
            byte[] data = new byte[20_000 + random.nextInt(200_000)];
            random.nextBytes(data);
            String path = "/" + prefix + "-" + n + ".bin";
            Integer port = target.get();
            if (port == null) {
                pause();
                continue;
            }
            try (SftpClient sftp = clients.sftp(port, username, password); var out = sftp.write(path)) {
                out.write(data);
            } catch (Exception e) {
                refused.incrementAndGet();
                pause();
                continue;
            }
            acknowledged.put(path, sha256(data));
        }
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The acknowledged uploads: path to SHA-256. */
    Map<String, String> acknowledged() {
        return Map.copyOf(acknowledged);
    }

    long refused() {
        return refused.get();
    }

    /** The paths of acknowledged uploads whose success row (one, with that SHA-256) {@code db} does not hold. */
    List<String> missingRows(TestDatabase.Server db) throws Exception {
        Map<String, String> rows = new ConcurrentHashMap<>();
        List<String> found = db.column("SELECT CONCAT(path, ' ', sha256) FROM transfers WHERE path LIKE '/" + prefix
                + "-%' AND direction = 'UPLOAD' AND outcome = 'SUCCESS'");
        List<String> twice = found.stream().filter(line -> rows.put(line.split(" ")[0], line.split(" ")[1]) != null)
                .toList();
        return acknowledged().entrySet().stream()
                .filter(e -> !e.getValue().equals(rows.get(e.getKey())) || twice.stream()
                        .anyMatch(line -> line.startsWith(e.getKey() + " ")))
                .map(Map.Entry::getKey).sorted().toList();
    }

    /** The paths of acknowledged uploads that the SFTP port {@code port} does not serve back whole (by SHA-256). */
    List<String> missingFiles(int port) throws Exception {
        List<String> missing = new ArrayList<>();
        try (SftpClient sftp = clients.sftp(port, username, password)) {
            for (Map.Entry<String, String> upload : acknowledged().entrySet()) {
                try (var in = sftp.read(upload.getKey())) {
                    if (!sha256(in.readAllBytes()).equals(upload.getValue())) {
                        missing.add(upload.getKey() + " (other content)");
                    }
                } catch (IOException e) {
                    missing.add(upload.getKey() + " (" + e.getMessage() + ")");
                }
            }
        }
        return missing;
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(60_000);
    }
}
