package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import tools.jackson.databind.ObjectMapper;

/**
 * A delivery of a name the partner already has (a corrected invoice) takes the old file's place: in one step where
 * the partner's server can (OpenSSH's {@code posix-rename@openssh.com}, so its system never finds the name
 * missing), else by removing the old file first; Ferry's log says which. The SFTP partner is a real OpenSSH
 * {@code sshd} with its {@code sftp-server} logging every operation; the FTPS one is this node's own listener,
 * which does not rename over a file.
 */
@ExtendWith(OutputCaptureExtension.class)
class PartnerReplaceIT extends NodeIT {

    private int sshdPort;

    @Test
    void aRedeliveryShouldReplaceTheFileAtAnOpenSshServerInOneStep(@TempDir Path dir, CapturedOutput output)
            throws Exception {
        Path in = Files.createDirectories(dir.resolve("in"));
        OpenSshClient keys = new OpenSshClient(Files.createDirectories(dir.resolve("client")));
        Path log = dir.resolve("sftp-server.log");
        Process sshd = startSshd(dir, keys.publicKey(), log);
        try {
            String partner = uniqueUser("openssh");
            String json = "{\"name\":\"" + partner + "\",\"host\":\"127.0.0.1\",\"port\":" + sshdPort
                    + ",\"username\":\"" + System.getProperty("user.name") + "\",\"privateKey\":"
                    + new ObjectMapper().writeValueAsString(keys.privateKey()) + ",\"hostKey\":\""
                    + fingerprint(dir.resolve("host_key.pub")) + "\",\"remoteDir\":\"" + in + "\"}";
            Api.Response created = admin().post("/api/v1/partners", json);
            assertThat(created.status()).as(created.body()).isEqualTo(201);

            deliverTwice(partner, in.resolve("invoice.edi"));

            String operations = Files.readString(log);
            String target = in.resolve("invoice.edi").toString();
            assertThat(operations).as(operations)
                    .containsPattern("posix-rename old \"" + in + "/\\.invoice\\.edi\\.[^\"]+\\.ferry-part\" new \""
                            + target + "\"")
                    .doesNotContain("remove name \"" + target + "\"");
            // each copy is on the partner's disk before it takes the name: fsync@openssh.com, then the rename
            Matcher renamed = Pattern.compile("rename old \"(" + Pattern.quote(in + "/")
                    + "\\.invoice\\.edi\\.[^\"]+\\.ferry-part)\"").matcher(operations);
            int copies = 0;
            while (renamed.find()) {
                copies++;
                assertThat(operations.indexOf("fsync \"" + renamed.group(1) + "\"")).as(operations)
                        .isBetween(0, renamed.start());
            }
            assertThat(copies).as(operations).isEqualTo(2);
            assertThat(output.getAll()).contains("Replaced 'invoice.edi' at '" + partner
                    + "' in one step (posix-rename@openssh.com)");
            try (var listing = Files.list(in)) {
                assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("invoice.edi");
            }
        } finally {
            sshd.destroy();
            sshd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aServerThatWillNotRenameOverAFileShouldGetTheNewOneAfterTheOldIsRemoved(CapturedOutput output)
            throws Exception {
        String remote = uniqueUser("remote");
        admin().createAccount(remote, "remote-password");
        Path in = Files.createDirectories(home(remote).resolve("in"));
        String partner = uniqueUser("ftps-partner");
        Api.Response created = admin().post("/api/v1/partners", "{\"name\":\"" + partner + "\",\"protocol\":\"ftps\","
                + "\"ftpsMode\":\"explicit\",\"host\":\"127.0.0.1\",\"port\":" + ftpsServer.explicitPort()
                + ",\"username\":\"" + remote + "\",\"password\":\"remote-password\",\"remoteDir\":\"/in\","
                + "\"certificateFingerprint\":\"" + ftpsServer.certificateFingerprint() + "\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        deliverTwice(partner, in.resolve("invoice.edi"));

        assertThat(output.getAll()).contains("Replacing 'invoice.edi' at '" + partner
                + "' by removing it, then renaming");
        try (var listing = Files.list(in)) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("invoice.edi");
        }
    }

    /**
     * Routes a source account's outbox to the partner, uploads an invoice, waits for it at {@code delivered}, then
     * uploads a corrected one of the same name and waits for that.
     */
    private void deliverTwice(String partner, Path delivered) throws Exception {
        String source = uniqueUser("src");
        admin().createAccount(source, "source-password");
        Api.Response route = admin().post("/api/v1/routes", "{\"name\":\"" + uniqueUser("route") + "\",\"account\":\""
                + source + "\",\"pathGlob\":\"/outbox/*.edi\",\"partner\":\"" + partner + "\",\"remoteName\":"
                + "\"{name}\"}");
        assertThat(route.status()).as(route.body()).isEqualTo(201);
        byte[] first = "UNB+UNOC:3+FIRST".getBytes(StandardCharsets.US_ASCII);
        byte[] corrected = "UNB+UNOC:3+CORRECTED-ONE".getBytes(StandardCharsets.US_ASCII);
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/invoice.edi")) {
                out.write(first);
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(Files.exists(delivered) ? Files.readAllBytes(delivered) : null).isEqualTo(first));
            try (var out = sftp.write("/outbox/invoice.edi")) {
                out.write(corrected);
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(Files.readAllBytes(delivered)).isEqualTo(corrected));
    }

    /**
     * OpenSSH's sshd on a loopback port of its own, letting in the user running the test with {@code authorizedKey}
     * only; its SFTP subsystem is OpenSSH's {@code sftp-server} logging every operation (level VERBOSE) to
     * {@code log}. The subsystem runs through the user's shell, whose HOME is {@code dir} (no login scripts).
     */
    private Process startSshd(Path dir, String authorizedKey, Path log) throws Exception {
        Path hostKey = dir.resolve("host_key");
        Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostKey.toString())
                .redirectErrorStream(true).start();
        assertThat(keygen.waitFor(30, TimeUnit.SECONDS) && keygen.exitValue() == 0).as("ssh-keygen").isTrue();
        Files.writeString(dir.resolve("authorized_keys"), authorizedKey + "\n");
        sshdPort = FreePorts.next();
        String user = System.getProperty("user.name");
        Path config = dir.resolve("sshd_config");
        Files.writeString(config, String.join("\n",
                "Port " + sshdPort,
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
                "Subsystem sftp " + OpenSshClient.SFTP_SERVER + " -l VERBOSE -e 2>>" + log,
                "SetEnv HOME=" + dir,
                "LogLevel ERROR", ""));
        if ("root".equals(user)) {
            Files.createDirectories(Path.of("/run/sshd")); // its privilege separation directory
        }
        Path sshdLog = dir.resolve("sshd.log");
        Process sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
                .redirectErrorStream(true).redirectOutput(sshdLog.toFile()).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            assertThat(sshd.isAlive()).as("sshd exited: %s", Files.readString(sshdLog)).isTrue();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", sshdPort), 1000);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        return sshd;
    }

    /** A public key file's SHA256 fingerprint, as {@code ssh-keygen -l} prints it. */
    private static String fingerprint(Path publicKey) throws Exception {
        Process p = new ProcessBuilder("ssh-keygen", "-l", "-f", publicKey.toString()).start();
        String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as(line).isTrue();
        return List.of(line.split(" ")).get(1);
    }
}
