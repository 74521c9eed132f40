package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.commons.net.ftp.FTPSClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.FerryApplication;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.sftp.EdgeListener;
import io.ferry.transfer.sftp.SftpServer;
import tools.jackson.databind.JsonNode;

/**
 * The front doors probed as a stranger, a partner's misbehaving client or a browser would (issue 18), against one
 * live node as a new user runs it: nothing configured but ports, on the embedded H2 database. Each probe is a stock
 * client or a raw request; each test failed before its fix.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(OutputCaptureExtension.class)
class FrontDoorIT {

    private static final String PASSWORD = "front-door-password-1";

    private Path dataDir;
    private ConfigurableApplicationContext node;
    private Api admin;
    private final SftpClients clients = new SftpClients();

    @BeforeAll
    void startNode() throws Exception {
        dataDir = Files.createTempDirectory("ferry-front-door-");
        node = new SpringApplicationBuilder(FerryApplication.class).run("--ferry.data-dir=" + dataDir,
                "--server.port=0", "--ferry.sftp.port=0", "--ferry.sftp.bind-address=127.0.0.1",
                "--ferry.ftps.explicit-port=0", "--ferry.ftps.implicit-port=0", "--ferry.ftps.passive-ports=0",
                "--ferry.sftp.limits.max-startups=4", "--ferry.ftps.limits.max-startups=4",
                "--ferry.sftp.max-handles-per-session=8",
                "--ferry.admin.login-max-failures-per-address=5", "--ferry.admin.login-lockout=5s",
                "--ferry.edge-listener.enabled=true", "--ferry.edge-listener.port=0",
                "--ferry.edge-listener.bind-address=127.0.0.1", "--ferry.cluster.name=ferry-front-door-it");
        admin = new Api(httpPort(), "admin", Files.readString(dataDir.resolve("initial-admin-password")).trim());
    }

    @AfterAll
    void stopNode() throws Exception {
        if (node != null) {
            node.close();
        }
        clients.close();
    }

    private int httpPort() {
        return Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
    }

    private int sftpPort() {
        return node.getBean(SftpServer.class).port();
    }

    /**
     * lftp mirrors a tree up and back and hangs up at once; MINA interrupts the SFTP thread that is still recording
     * the last download. On the embedded database that interrupt closed H2 for good, and every later login failed
     * ("The database has been closed") while readiness said UP. Every transfer must keep its row, and the node
     * must go on serving.
     */
    @Test
    void aClientThatHangsUpMidRequestShouldNeverBreakTheDatabase() throws Exception {
        admin.createAccount("mirror", PASSWORD);
        Path local = Files.createTempDirectory(dataDir, "mirror-");
        Path tree = Files.createDirectories(local.resolve("tree"));
        int files = 0;
        for (int dir = 0; dir < 3; dir++) {
            Path sub = Files.createDirectories(tree.resolve("d" + dir));
            for (int i = 0; i < 10; i++) {
                Files.write(sub.resolve("f" + i + ".bin"), SftpOperationsIT.random(2_000 + i * 700));
                files++;
            }
        }
        int rounds = 3;
        for (int round = 0; round < rounds; round++) {
            String script = String.join("; ",
                    "set sftp:connect-program 'ssh -a -x -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
                    "set net:max-retries 1", "set net:timeout 20",
                    "open -u mirror," + PASSWORD + " sftp://127.0.0.1:" + sftpPort(),
                    "mirror -R " + tree + " t" + round, "mirror t" + round + " " + local.resolve("back" + round));
            run(local, "lftp", "-c", script);
            assertThat(local.resolve("back" + round + "/d2/f9.bin")).hasSameBinaryContentAs(tree.resolve("d2/f9.bin"));
        }

        // the node still logs partners in and records their transfers
        try (SftpClient sftp = clients.sftp(sftpPort(), "mirror", PASSWORD)) {
            SftpOperationsIT.write(sftp, "/after.txt", new byte[] {1});
        }
        assertThat(readiness()).isEqualTo(200);
        int expected = rounds * files * 2 + 1;
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(admin.get("/api/v1/transfers?account=mirror&size=1").json().get("totalItems").asLong())
                        .as("one row per upload and per download").isEqualTo(expected));
    }

    /**
     * A page on any site could make an administrator's browser change the configuration: the import took
     * {@code text/plain} (which a page sends across sites without asking), the API has no CSRF token, and its Basic
     * challenge has browsers remember the credentials.
     */
    @Test
    void aBrowserOnAnotherSiteShouldChangeNothing() throws Exception {
        String snapshot = admin.post("/api/v1/config/export", "{\"secrets\":\"omitted\"}").body();
        Api.Response plain = admin.post("/api/v1/config/import?dryRun=true", "text/plain", snapshot);
        assertThat(plain.status()).as(plain.body()).isEqualTo(415);
        Api.Response form = admin.post("/api/v1/accounts", "application/x-www-form-urlencoded",
                "username=csrf&password=csrf-password-1");
        assertThat(form.status()).as(form.body()).isEqualTo(415);

        String account = "{\"username\":\"csrf\",\"password\":\"csrf-password-12\"}";
        Api.Response crossSite = admin.post("/api/v1/accounts", "application/json", account,
                "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "cors");
        assertThat(crossSite.status()).as(crossSite.body()).isEqualTo(403);
        Api.Response otherOrigin = admin.post("/api/v1/accounts", "application/json", account,
                "Origin", "https://attacker.example");
        assertThat(otherOrigin.status()).as(otherOrigin.body()).isEqualTo(403);
        assertThat(admin.get("/api/v1/accounts/csrf").status()).as("nothing was created").isEqualTo(404);

        // the server's own pages, and scripts, still may
        Api.Response sameOrigin = admin.post("/api/v1/accounts", "application/json", account,
                "Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:" + httpPort());
        assertThat(sameOrigin.status()).as(sameOrigin.body()).isEqualTo(201);
        assertThat(admin.post("/api/v1/config/import?dryRun=true", "application/json", snapshot).status())
                .isEqualTo(200);

        // no Basic challenge for a browser to answer and remember; scripts still get one
        HttpResponse<String> browser = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + httpPort() + "/api/v1/accounts")).header("Sec-Fetch-Mode", "navigate").GET()
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(browser.statusCode()).isEqualTo(401);
        assertThat(browser.headers().firstValue("WWW-Authenticate")).isEmpty();
        HttpResponse<String> script = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + httpPort() + "/api/v1/accounts")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(script.statusCode()).isEqualTo(401);
        assertThat(script.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("Basic"));
    }

    /**
     * The audit log kept secrets that operators may read: the FTPS certificate's PEM private key as the request, and
     * a second factor's {@code otpauth://} URI (with its seed) as the answer. Neither may be kept anywhere: not in
     * the audit log, not in a log line, not in an error's detail.
     */
    @Test
    void noSecretShouldBeKeptInTheAuditLogOrALogLine(CapturedOutput output) throws Exception {
        KeyPair pair = FtpsCertificateIT.keyPair();
        String key = FtpsCertificateIT.pem(pair.getPrivate());
        String chain = FtpsCertificateIT.pem(FtpsCertificateIT.certificate(pair, "CN=front-door.example"));
        String keyBody = key.lines().filter(line -> !line.startsWith("-----")).findFirst().orElseThrow();
        Api.Response replaced = admin.put("/api/v1/ftps/certificate", Api.MAPPER.writeValueAsString(
                Map.of("certificate", chain, "key", key)));
        assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
        // an error that quotes what it was given: the key where the certificate belongs
        Api.Response refused = admin.put("/api/v1/ftps/certificate", Api.MAPPER.writeValueAsString(
                Map.of("certificate", key, "key", key)));
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.body()).doesNotContain(keyBody);

        String seed = admin.post("/api/v1/me/totp/setup", "application/json", "{}").json().get("secret").asString();

        String audit = admin.get("/api/v1/audit?size=500").body();
        assertThat(audit).contains("/api/v1/ftps/certificate", "/api/v1/me/totp/setup")
                .doesNotContain(keyBody).doesNotContain(seed).doesNotContain("PRIVATE KEY-----");
        assertThat(output.getAll()).doesNotContain(keyBody).doesNotContain(seed);
    }

    /**
     * An SSH user name is the client's to choose, CR and LF included: logged raw (the edge listener's refusal of a
     * stranger, the session's MDC, MINA's own lines naming the session) it wrote whole lines of the client's making.
     */
    @Test
    void aUserNameShouldNeverWriteALogLineOfItsOwn(CapturedOutput output) throws Exception {
        String forged = "2001-02-03T04:05:06.007Z  INFO 1 --- [ferry] [main] io.ferry.Forged : forged";
        int edgeListener = node.getBean(EdgeListener.class).port();
        for (String name : List.of("forger\r\n" + forged, "forger\n" + forged + "\n")) {
            for (int port : new int[] {sftpPort(), edgeListener}) {
                assertThatThrownBy(() -> clients.sftp(port, name, "wrong-password").close())
                        .isInstanceOf(IOException.class);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> output.getAll().contains("forger"));
        assertThat(output.getAll().lines()).noneMatch(line -> line.startsWith("2001-02-03T04:05:06.007Z"));
        assertThat(output.getAll()).contains("forger\\u000d\\u000a2001-02-03");
    }

    /**
     * Nothing bounded a partner's session: channels per session, open handles, connections that never log in
     * (OpenSSH's MaxStartups), and an FTPS connection that never logged in lived ten minutes. One past each limit is
     * refused with a clear reason, and counted.
     */
    @Test
    void connectionsThatNeverLogInAndChannelsPastTheLimitShouldBeRefused() throws Exception {
        admin.createAccount("bounded", PASSWORD);
        // ten channels on one session, as OpenSSH allows; the eleventh is refused
        try (ClientSession session = clients.login(sftpPort(), "bounded", PASSWORD)) {
            List<SftpClient> channels = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                channels.add(SftpClientFactory.instance().createSftpClient(session));
            }
            assertThatThrownBy(() -> SftpClientFactory.instance().createSftpClient(session))
                    .isInstanceOf(IOException.class);
            for (SftpClient channel : channels) {
                channel.close();
            }
        }
        // eight open handles on one SFTP session (max-handles-per-session 8 here); the ninth is refused
        try (SftpClient sftp = clients.sftp(sftpPort(), "bounded", PASSWORD)) {
            for (int i = 0; i < 8; i++) {
                sftp.openDir("/");
            }
            assertThatThrownBy(() -> sftp.openDir("/")).isInstanceOf(IOException.class);
            assertThat(sftp.canonicalPath(".")).as("the session goes on").isEqualTo("/");
        }

        // four connections waiting to log in (max-startups 4): the fifth is dropped at once, at either door
        List<Socket> waiting = new ArrayList<>();
        List<FTPSClient> ftpsWaiting = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = new Socket("127.0.0.1", sftpPort());
                socket.setSoTimeout(10_000);
                socket.getInputStream().read(); // the server's banner: the session exists
                waiting.add(socket);
                ftpsWaiting.add(ftps());
            }
            assertThatThrownBy(() -> clients.sftp(sftpPort(), "bounded", PASSWORD).close())
                    .isInstanceOf(IOException.class);
            FTPSClient refused = new FTPSClient(false);
            refused.setConnectTimeout(10_000);
            refused.setDefaultTimeout(10_000);
            assertThatThrownBy(() -> refused.connect("127.0.0.1", ftpsPort())).isInstanceOf(IOException.class);
            assertThat(refused.getReplyString()).contains("421", "too many connections waiting to log in");
        } finally {
            for (Socket socket : waiting) {
                socket.close();
            }
            for (FTPSClient client : ftpsWaiting) {
                client.disconnect();
            }
        }
        // once they are gone, partners log in again
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            try (SftpClient sftp = clients.sftp(sftpPort(), "bounded", PASSWORD)) {
                assertThat(sftp.canonicalPath(".")).isEqualTo("/");
            }
        });
        String metrics = admin.get("/actuator/prometheus").body();
        assertThat(metrics).contains("ferry_connections_refused_total{protocol=\"sftp\",reason=\"startups\"}",
                "ferry_connections_refused_total{protocol=\"ftps\",reason=\"startups\"}");
    }

    /**
     * Issue 18 item 10: someone who can write the database (a dump restored by hand, a stolen DBA login) copied the
     * sealed password of partner "bank" into the row of partner "mallory", whose host they control. Sealed values
     * were bound only to a version byte, so mallory's next connection presented bank's password (here: logged in as
     * bank's account). Now the copied value does not open in mallory's row, nothing is sent, and the check says why.
     */
    @Test
    void aSealedPasswordCopiedToAnotherPartnerShouldNotOpen() throws Exception {
        admin.createAccount("vault", PASSWORD);
        String partner = "{\"host\":\"127.0.0.1\",\"port\":" + sftpPort() + ",\"username\":\"vault\",\"hostKey\":\""
                + "SHA256:" + "A".repeat(43) + "\",\"remoteDir\":\"/\",";
        assertThat(admin.post("/api/v1/partners", partner + "\"name\":\"bank\",\"password\":\"" + PASSWORD + "\"}")
                .status()).isEqualTo(201);
        assertThat(admin.post("/api/v1/partners", partner + "\"name\":\"mallory\",\"password\":\"mallory-own-1\"}")
                .status()).isEqualTo(201);
        // pinned to the node's own key (a check with a wrong pin sends nothing and shows the key presented)
        String presented = admin.post("/api/v1/partners/bank/check", "").json().get("presentedHostKey").asString();
        for (String name : List.of("bank", "mallory")) {
            assertThat(admin.patch("/api/v1/partners/" + name, "{\"hostKey\":\"" + presented + "\"}").status())
                    .isEqualTo(200);
        }
        assertThat(admin.post("/api/v1/partners/bank/check", "").json().get("ok").asBoolean()).isTrue();

        JdbcTemplate database = node.getBean(JdbcTemplate.class);
        String banks = database.queryForObject("SELECT sealed_password FROM partners WHERE name = 'bank'",
                String.class);
        database.update("UPDATE partners SET sealed_password = ? WHERE name = 'mallory'", banks);

        JsonNode check = admin.post("/api/v1/partners/mallory/check", "").json();
        assertThat(check.get("ok").asBoolean()).as(check.toString()).isFalse();
        assertThat(check.get("error").asString()).contains("partners.sealed_password of row 'mallory'")
                .contains("sealed for another place").doesNotContain(PASSWORD);
        assertThat(admin.post("/api/v1/partners/bank/check", "").json().get("ok").asBoolean()).isTrue();

        // nor can bank's own row be pointed at another server: its password is bound to where it is sent
        database.update("UPDATE partners SET host = '127.0.0.2' WHERE name = 'bank'");
        JsonNode redirected = admin.post("/api/v1/partners/bank/check", "").json();
        assertThat(redirected.get("ok").asBoolean()).as(redirected.toString()).isFalse();
        assertThat(redirected.get("error").asString()).contains("partners.sealed_password of row 'bank'")
                .contains("another destination");
        // the administrator's change of a destination seals the secrets for the new one
        assertThat(admin.patch("/api/v1/partners/bank", "{\"host\":\"127.0.0.1\",\"password\":\"" + PASSWORD
                + "\"}").status()).isEqualTo(200);
        assertThat(admin.patch("/api/v1/partners/bank", "{\"connectTimeoutSeconds\":20}").status()).isEqualTo(200);
        assertThat(admin.post("/api/v1/partners/bank/check", "").json().get("ok").asBoolean()).isTrue();
    }

    /**
     * Issue 19 item 3: the node issued an edge a ticket for a public key alone, so a compromised edge logged in as any
     * key-auth account without its private key. Now a key alone is only acceptable (the edge can answer the
     * partner's query) and earns no ticket; a ticket needs the partner's signature, which the node checks with the
     * key; a signature made with another key, or one used before, earns nothing.
     */
    @Test
    void anEdgeWithoutThePartnersPrivateKeyShouldGetNoTicket() throws Exception {
        admin.createAccount("keyed", PASSWORD);
        KeyPair partner = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        admin.addKey("keyed", PublicKeyEntry.toString(partner.getPublic()));
        String secret = admin.post("/api/v1/edges", "{\"name\":\"mallory-edge\"}").json().get("secret").asString();

        try (EdgeControl control = new EdgeControl(node.getBean(EdgeListener.class).port(), "mallory-edge",
                secret)) {
            Properties offered = new Properties();
            offered.setProperty("username", "keyed");
            offered.setProperty("address", "127.0.0.1");
            offered.setProperty("publicKey", PublicKeyEntry.toString(partner.getPublic()));
            Properties answer = control.request("auth", offered).properties();
            assertThat(answer.getProperty("ok")).as("the key is the account's").isEqualTo("true");
            assertThat(answer.getProperty("ticket")).as("but a key alone earns no ticket").isNull();

            // a signature of the edge's own making (its key, not the partner's) over what a client signs
            byte[] sessionId = new byte[32];
            new SecureRandom().nextBytes(sessionId);
            KeyPair own = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
            Properties forged = signedLogin(offered, sessionId, partner.getPublic(), own);
            assertThat(control.request("auth", forged).properties().getProperty("ticket")).isNull();

            // the partner's own signature earns one ticket, once
            Properties genuine = signedLogin(offered, sessionId, partner.getPublic(), partner);
            assertThat(control.request("auth", genuine).properties().getProperty("ticket")).isNotBlank();
            assertThat(control.request("auth", genuine).properties().getProperty("ticket")).as("replayed").isNull();

            // a ban only of an address that failed lately
            Properties ban = new Properties();
            ban.setProperty("address", "198.51.100.23");
            ban.setProperty("seconds", "3600");
            Properties banned = control.request("ban", ban).properties();
            assertThat(banned.getProperty("ok")).isEqualTo("false");
            assertThat(banned.getProperty("reason")).isEqualTo("no-recent-failures");
            assertThat(admin.get("/api/v1/defender/bans").body()).doesNotContain("198.51.100.23");
        }
    }

    /** What an SSH client sends to log in with a key (RFC 4252 section 7), signed with {@code signer}. */
    private static Properties signedLogin(Properties offered, byte[] sessionId, PublicKey key, KeyPair signer)
            throws Exception {
        ByteArrayBuffer blob = new ByteArrayBuffer();
        blob.putRawPublicKey(key);
        ByteArrayBuffer data = new ByteArrayBuffer();
        data.putBytes(sessionId);
        data.putByte(SshConstants.SSH_MSG_USERAUTH_REQUEST);
        data.putString(offered.getProperty("username"));
        data.putString("ssh-connection");
        data.putString("publickey");
        data.putBoolean(true);
        data.putString(KeyPairProvider.SSH_ED25519);
        data.putBytes(blob.getCompactData());
        Signature signature = BuiltinSignatures.ed25519.create();
        signature.initSigner(null, signer.getPrivate());
        signature.update(null, data.getCompactData());
        ByteArrayBuffer signed = new ByteArrayBuffer();
        signed.putString(KeyPairProvider.SSH_ED25519);
        signed.putBytes(signature.sign(null));
        Properties request = new Properties();
        request.putAll(offered);
        request.setProperty("sessionId", Base64.getEncoder().encodeToString(sessionId));
        request.setProperty("service", "ssh-connection");
        request.setProperty("algorithm", KeyPairProvider.SSH_ED25519);
        request.setProperty("keyBlob", Base64.getEncoder().encodeToString(blob.getCompactData()));
        request.setProperty("signature", Base64.getEncoder().encodeToString(signed.getCompactData()));
        return request;
    }


    private FTPSClient ftps() throws IOException {
        FTPSClient client = new FTPSClient(false);
        client.setConnectTimeout(10_000);
        client.setDefaultTimeout(10_000);
        client.connect("127.0.0.1", ftpsPort());
        return client;
    }

    private int ftpsPort() {
        return node.getBean(FtpsServer.class).explicitPort();
    }

    /**
     * Every Basic request with any user name ran a full Argon2id check, and the lockout counted per address and
     * name, so made-up names were never throttled: a stranger could keep both cores busy. Now failures count per
     * address whatever the names, and once it is locked out no password is hashed for it until the lockout passes.
     */
    @Test
    void madeUpAdministratorNamesShouldNotBuyMoreGuesses() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(new Api(httpPort(), "guess-" + i, "wrong-" + i).get("/api/v1/accounts").status())
                    .isEqualTo(401);
        }
        Api.Response locked = new Api(httpPort(), "guess-5", "wrong-5").get("/api/v1/accounts");
        assertThat(locked.status()).as(locked.body()).isEqualTo(429);
        // the real administrator from the same address waits too, and is let in once the lockout has passed
        assertThat(admin.get("/api/v1/accounts").status()).isEqualTo(429);
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/api/v1/accounts").status() == 200);

        // guessing API tokens is guessing too: counted, then turned away before any lookup (within five guesses:
        // the lockout's window slides, so some of the failures above may still count)
        int refused = 0;
        int status = 0;
        for (int i = 0; i < 6 && status != 429; i++) {
            status = bearer("ferry_guess-" + i);
            refused += status == 401 ? 1 : 0;
        }
        assertThat(status).isEqualTo(429);
        assertThat(refused).isBetween(1, 5);
        await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/api/v1/accounts").status() == 200);
    }

    private int bearer(String token) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort()
                + "/api/v1/accounts")).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private int readiness() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort()
                + "/actuator/health/readiness")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String run(Path dir, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of(command));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process process = new ProcessBuilder(args).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command[0] + " did not finish: " + Files.readString(out));
        }
        String output = Files.readString(out);
        assertThat(process.exitValue()).as(command[0] + " output: " + output).isZero();
        return output;
    }
}
