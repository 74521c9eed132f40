package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The stock clients partners run, as they run them, against a server (issue 21): {@code lftp} mirrors a tree up and
 * back down keeping the files' times, {@code rclone} copies, checks, lists the times and copies back, and {@code curl}
 * uploads, appends, downloads and resumes a download. The script ({@code clients/stock_clients.sh}) compares what
 * came back with what was sent, byte for byte and time for time.
 */
final class StockClients {

    static final List<String> CASES = List.of("lftp_mirror", "rclone_check", "rclone_modtime", "rclone_copy_back",
            "curl_append", "curl_resume");

    private StockClients() {
    }

    /**
     * Runs every case over {@code protocol} ({@code sftp}, or {@code ftps} on an explicit FTPS port) in a new
     * directory {@code remoteDir} of the user's home, and checks that each passed.
     */
    static void check(String protocol, int port, String user, String password, String remoteDir) throws Exception {
        Path work = Files.createTempDirectory("stock-clients");
        Path script = work.resolve("stock_clients.sh");
        try (var in = StockClients.class.getResourceAsStream("/clients/stock_clients.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Process process = new ProcessBuilder("bash", script.toString(), protocol, "127.0.0.1", String.valueOf(port),
                user, password, remoteDir, work.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException("the stock clients did not finish: " + out);
        }
        assertThat(out).as(protocol + " with lftp, rclone and curl").doesNotContain("FAIL").endsWith("done\n");
        for (String name : CASES) {
            assertThat(out).as(protocol + ": " + out).contains("ok " + name + "\n");
        }
    }
}
