package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import tools.jackson.databind.JsonNode;

/**
 * What a client library sees of SFTP handles, against a node (issue 21): paramiko's own handle calls, run by Debian's
 * {@code python3-paramiko} ({@code clients/sftp_handles.py}), each case compared with what OpenSSH's
 * {@code internal-sftp} answers.
 */
final class SftpHandles {

    private SftpHandles() {
    }

    /** Runs every case as {@code user} in a new directory {@code dir} of its home, and checks each answer. */
    /** Reads the API as an administrator: a path's JSON. */
    interface AdminApi {
        JsonNode get(String path) throws Exception;
    }

    static void check(AdminApi api, int port, String user, String password, String dir) throws Exception {
        JsonNode results = run(port, user, password, dir);
        // an upload's own handle describes it: its size so far, and the file's once published
        assertThat(results.get("fstat_on_an_upload").toString()).isEqualTo("[1000,1000]");
        // appended bytes follow the file's; the handle's size counts both
        assertThat(results.get("append").toString()).isEqualTo("[11,\"hello world\"]");
        // as OpenSSH: SSH_FX_NO_SUCH_FILE, which paramiko reads as ENOENT
        assertThat(results.get("rmdir_of_a_missing_directory").asString()).isEqualTo("errno 2");
        // lftp mirror, put -p, rclone: times set on the handle before it is closed are the published file's
        assertThat(results.get("times_set_on_the_handle_before_close").asLong()).isEqualTo(1_500_000_000L);
        assertThat(results.get("times_set_by_name_after_close").asLong()).isEqualTo(1_500_000_000L);
        // random access: a read-write handle reads back, writes land at any offset (a gap reads as zeros), a file
        // is patched in place and cut or extended by handle or by name; each published file is what the client
        // wrote, and its one transfer-log row has the SHA-256 of that content
        for (String name : List.of("read_write_handle", "out_of_order_writes_with_a_gap",
                "seek_and_patch_an_existing_file", "truncate_on_the_handle")) {
            assertThat(results.get(name).asString()).as(name).startsWith("ok ");
        }
        assertThat(results.get("truncate_by_name").toString()).as("truncate_by_name").contains("\"ok ")
                .doesNotContain("MISMATCH").doesNotContain("ERR");
        assertThat(results.get("truncate_of_a_missing_file").asString()).isEqualTo("errno 2");
        // links could lead out of the jail: refused as a permission (SSH_FX_PERMISSION_DENIED, EACCES)
        assertThat(results.get("symlink").asString()).isEqualTo("errno 13");
        // OpenSSH's extensions for "~": the home is the jail's root, and only the session's own user has one here
        assertThat(results.get("expand_path").toString())
                .isEqualTo("[\"/\",\"/rw.bin\",\"/rw.bin\",\"/rw.bin\"]");
        assertThat(results.get("expand_path_of_another_user").asString()).isEqualTo("errno 2");
        assertThat(results.get("home_directory").asString()).isEqualTo("/");
        JsonNode rows = api.get("/api/v1/transfers?account=" + user + "&size=200").get("items");
        for (var file : Map.of("random.bin", "out_of_order_writes_with_a_gap", "rw.bin", "read_write_handle",
                "cut.bin", "truncate_on_the_handle").entrySet()) {
            String sha = results.get(file.getValue()).asString().substring(3);
            List<JsonNode> uploads = new ArrayList<>();
            rows.forEach(row -> {
                if (row.get("path").asString().equals("/" + dir + "/" + file.getKey())
                        && "upload".equalsIgnoreCase(row.get("direction").asString())) {
                    uploads.add(row);
                }
            });
            assertThat(uploads).as(file.getKey()).hasSize(1);
            assertThat(uploads.get(0).get("sha256").asString()).as(file.getKey()).isEqualTo(sha);
        }
        // what the read-write handle read back is a download of its own in the log (70,000 bytes), beside the
        // whole-file download that checked the result
        List<Long> downloads = new ArrayList<>();
        rows.forEach(row -> {
            if (row.get("path").asString().equals("/" + dir + "/rw.bin")
                    && "download".equalsIgnoreCase(row.get("direction").asString())) {
                downloads.add(row.get("bytes").asLong());
            }
        });
        assertThat(downloads).containsExactlyInAnyOrder(70_000L, 700_000L);
    }

    private static JsonNode run(int port, String user, String password, String dir) throws Exception {
        Path script = Files.createTempFile("sftp_handles", ".py");
        try {
            try (var in = SftpHandles.class.getResourceAsStream("/clients/sftp_handles.py")) {
                Files.write(script, in.readAllBytes());
            }
            // Debian's interpreter, which has python3-paramiko (another python3 on the PATH may not)
            Process process = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1",
                    String.valueOf(port), user, password, dir).redirectErrorStream(false).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("paramiko did not finish: " + err);
            }
            assertThat(process.exitValue()).as(out + err).isZero();
            return Api.MAPPER.readTree(out);
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
