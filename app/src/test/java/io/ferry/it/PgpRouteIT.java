package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.sshd.sftp.client.SftpClient;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * OpenPGP on routes against GnuPG (Debian's {@code gnupg}): a file a route encrypts and signs is decrypted and
 * verified by {@code gpg} with the partner's key; a file {@code gpg} encrypts and signs is decrypted and verified on
 * intake; a file for another key, signed by the wrong key, or altered ends quarantined and is never published.
 */
class PgpRouteIT extends NodeIT {

    private static final String FERRY_PASSPHRASE = "ferry-pgp-passphrase";
    private static Path work;
    private static Gpg partner;
    private static Gpg ferry;
    private static Gpg mallory;

    /** One GnuPG home: its own keys, driven in batch mode. */
    record Gpg(Path home) {

        /** A new, empty home in {@code parent} (GnuPG wants it private). */
        static Gpg in(Path parent, String name) throws IOException {
            Path home = Files.createDirectory(parent.resolve(name));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
            return new Gpg(home);
        }

        String run(String... args) throws IOException, InterruptedException {
            return new String(exec(null, args), StandardCharsets.UTF_8);
        }

        byte[] exec(byte[] input, String... args) throws IOException, InterruptedException {
            Run run = attempt(input, args);
            assertThat(run.exit()).as("gpg " + args[0] + ": " + run.errors()).isZero();
            return run.out();
        }

        /** What gpg answered and said, whatever its exit code. */
        record Run(int exit, byte[] out, String errors) {
        }

        Run attempt(byte[] input, String... args) throws IOException, InterruptedException {
            List<String> command = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--yes",
                    "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always"));
            command.addAll(List.of(args));
            Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errors = new Thread(() -> copy(process.getErrorStream(), err));
            errors.start();
            // fed from a thread of its own: gpg writes while it reads, and a full pipe either way would stall both
            Thread feeder = new Thread(() -> {
                try (var stdin = process.getOutputStream()) {
                    if (input != null) {
                        stdin.write(input);
                    }
                } catch (IOException e) {
                    // gpg stopped reading: its exit code and error say why
                }
            });
            feeder.start();
            copy(process.getInputStream(), out);
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            errors.join();
            feeder.join();
            return new Run(process.exitValue(), out.toByteArray(), err.toString(StandardCharsets.UTF_8));
        }

        /** A key pair: a primary that signs, and (as GnuPG makes by default) a subkey that encrypts. */
        void generate(String userId, String algorithm, String expiry, String passphrase) throws Exception {
            run("--passphrase", passphrase, "--quick-gen-key", userId, algorithm, "default", expiry);
            if (!algorithm.endsWith("default")) { // GnuPG adds the encryption subkey only for its default algorithms
                String fingerprint = run("--with-colons", "--fingerprint", userId).lines()
                        .filter(l -> l.startsWith("fpr:")).findFirst().orElseThrow().split(":")[9];
                run("--passphrase", passphrase, "--quick-add-key", fingerprint, algorithm, "encr", expiry);
            }
        }

        void stop() throws IOException, InterruptedException {
            new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent").start()
                    .waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** {@code to} imports the public key of {@code userId} that {@code from} holds. */
    private static void give(Gpg from, String userId, Gpg to) throws Exception {
        to.exec(from.run("--armor", "--export", userId).getBytes(StandardCharsets.US_ASCII), "--import");
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @BeforeAll
    static void keys() throws Exception {
        work = Files.createTempDirectory("ferry-pgp");
        partner = gpgHome("partner");
        ferry = gpgHome("ferry");
        mallory = gpgHome("mallory");
        // the partner's key is GnuPG's modern default (Ed25519 + Curve25519), Ferry's an RSA pair with a passphrase
        partner.generate("Acme EDI <edi@acme.example>", "future-default", "never", "");
        ferry.generate("Ferry <ferry@example.test>", "rsa3072", "2y", FERRY_PASSPHRASE);
        mallory.generate("Mallory <mallory@example.test>", "future-default", "never", "");
    }

    private static Gpg gpgHome(String name) throws IOException {
        return Gpg.in(work, name);
    }

    @AfterAll
    static void stopAgents() throws Exception {
        for (Gpg gpg : List.of(partner, ferry, mallory)) {
            gpg.stop();
        }
    }

    private String importKey(String name, String armored, String passphrase) {
        ObjectMapper json = new ObjectMapper();
        var body = json.createObjectNode().put("name", name).put("armored", armored);
        if (passphrase != null) {
            body.put("passphrase", passphrase);
        }
        Api.Response created = admin().post("/api/v1/pgp-keys", body.toString());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.body();
    }

    private String route(String account, String glob, String copyTo, String pgp) {
        String name = uniqueUser("pgp-route");
        Api.Response created = admin().post("/api/v1/routes", "{\"name\":\"" + name + "\",\"account\":\"" + account
                + "\",\"pathGlob\":\"" + glob + "\",\"copyTo\":\"" + copyTo + "\",\"pgp\":" + pgp + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return name;
    }

    private JsonNode itemOf(String route, String path) {
        for (JsonNode item : admin().get("/api/v1/work-items?limit=1000").json()) {
            if (item.get("route").asString().equals(route) && item.get("path").asString().equals(path)) {
                return item;
            }
        }
        return null;
    }

    private static byte[] read(SftpClient sftp, String path) throws IOException {
        try (InputStream in = sftp.read(path)) {
            return in.readAllBytes();
        }
    }

    private static void write(SftpClient sftp, String path, byte[] data) throws IOException {
        try (var out = sftp.write(path)) {
            out.write(data);
        }
    }

    private static boolean exists(SftpClient sftp, String path) {
        try {
            sftp.stat(path);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aRouteShouldEncryptForThePartnerAndDecryptWhatThePartnerSends() throws Exception {
        String account = uniqueUser("pgp");
        admin().createAccount(account, "pgp-password");
        String partnerKey = uniqueUser("acme-key");
        String ferryKey = uniqueUser("ferry-key");
        String wrong = admin().post("/api/v1/pgp-keys", new ObjectMapper().createObjectNode().put("name", ferryKey)
                .put("armored", ferry.run("--passphrase", FERRY_PASSPHRASE, "--armor", "--export-secret-keys",
                        "ferry@example.test"))
                .put("passphrase", "not-the-passphrase").toString()).body();
        assertThat(wrong).contains("passphrase");
        importKey(partnerKey, partner.run("--armor", "--export", "edi@acme.example"), null);
        String pair = importKey(ferryKey, ferry.run("--passphrase", FERRY_PASSPHRASE, "--armor",
                "--export-secret-keys", "ferry@example.test"), FERRY_PASSPHRASE);
        JsonNode ours = new ObjectMapper().readTree(pair);
        assertThat(pair).doesNotContain("PRIVATE KEY");
        assertThat(ours.get("kind").asString()).isEqualTo("secret");
        assertThat(ours.get("algorithm").asString()).isEqualTo("RSA-3072");
        assertThat(ours.get("userIds").get(0).asString()).isEqualTo("Ferry <ferry@example.test>");
        assertThat(ours.get("canSign").asBoolean()).isTrue();
        assertThat(ours.get("expiresAt").isNull()).isFalse();
        assertThat(ferry.run("--with-colons", "--fingerprint")).contains(ours.get("fingerprint").asString());
        // the partner is given Ferry's public key, as the API serves it
        Api.Response published = admin().get("/api/v1/pgp-keys/" + ferryKey + "/public");
        assertThat(published.body()).startsWith("-----BEGIN PGP PUBLIC KEY BLOCK-----").doesNotContain("PRIVATE");
        partner.exec(published.body().getBytes(StandardCharsets.US_ASCII), "--import");

        String seal = route(account, "/outbox/*.csv", "/outbox-sealed", "{\"encryptTo\":\"" + partnerKey
                + "\",\"signWith\":\"" + ferryKey + "\"}");
        String open = route(account, "/inbox/*.pgp", "/inbox-clear", "{\"decrypt\":true,\"verifyWith\":\""
                + partnerKey + "\"}");
        byte[] orders = SftpOperationsIT.random(3_000_000);
        byte[] invoice = "UNH+1+INVOIC:D:96A:UN'\nBGM+380+42'\n".repeat(5000).getBytes(StandardCharsets.US_ASCII);
        Files.write(work.resolve("invoice.csv"), invoice);
        byte[] sealedInvoice = partner.exec(invoice, "--encrypt", "--sign", "-r", "ferry@example.test", "-u",
                "edi@acme.example", "--set-filename", "invoice.csv");

        try (SftpClient sftp = clients.sftp(sftpPort(), account, "pgp-password")) {
            sftp.mkdir("/outbox");
            sftp.mkdir("/inbox");
            write(sftp, "/outbox/orders.csv", orders);
            write(sftp, "/inbox/invoice.csv.pgp", sealedInvoice);
            // done once each result is published (a stat alone may see the upload still being written)
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(itemOf(seal, "/outbox/orders.csv").get("state").asString()).isEqualTo("done");
                assertThat(itemOf(open, "/inbox/invoice.csv.pgp").get("state").asString()).isEqualTo("done");
            });
            byte[] encrypted = read(sftp, "/outbox-sealed/orders.csv.pgp");
            assertThat(new String(encrypted, 0, 64, StandardCharsets.ISO_8859_1)).doesNotContain("orders");
            Files.write(work.resolve("orders.csv.pgp"), encrypted);
            String status = partner.run("--status-fd", "1", "--output", work.resolve("orders.csv").toString(),
                    "--decrypt", work.resolve("orders.csv.pgp").toString());
            assertThat(Files.readAllBytes(work.resolve("orders.csv"))).isEqualTo(orders);
            assertThat(status).contains("[GNUPG:] GOODSIG", "[GNUPG:] VALIDSIG " + ours.get("fingerprint").asString(),
                    "[GNUPG:] DECRYPTION_OKAY");
            assertThat(read(sftp, "/inbox-clear/invoice.csv")).isEqualTo(invoice);
        }
        // the original and the result are both in the transfer log, each with its SHA-256, the result naming its row
        JsonNode rows = admin().get("/api/v1/transfers?account=" + account + "&size=100").json().get("items");
        JsonNode original = null;
        JsonNode result = null;
        for (JsonNode row : rows) {
            if (row.get("path").asString().equals("/inbox/invoice.csv.pgp")) {
                original = row;
            } else if (row.get("path").asString().equals("/inbox-clear/invoice.csv")) {
                result = row;
            }
        }
        assertThat(original).as(rows.toString()).isNotNull();
        assertThat(result).as(rows.toString()).isNotNull();
        assertThat(result.get("derivedFrom").asLong()).isEqualTo(original.get("id").asLong());
        assertThat(result.get("protocol").asString()).isEqualTo("pgp");
        assertThat(result.get("sha256").asString()).isEqualTo(SftpOperationsIT.sha256(invoice));
        assertThat(original.get("sha256").asString()).isEqualTo(SftpOperationsIT.sha256(sealedInvoice));
    }

    @Test
    void aFileForAnotherKeySignedByTheWrongKeyOrAlteredShouldBeQuarantinedAndNeverPublished() throws Exception {
        String account = uniqueUser("pgpq");
        admin().createAccount(account, "pgp-password");
        String partnerKey = uniqueUser("acme-key");
        importKey(partnerKey, partner.run("--armor", "--export", "edi@acme.example"), null);
        String ferryKey = uniqueUser("ferry-key");
        String pair = importKey(ferryKey, ferry.run("--passphrase", FERRY_PASSPHRASE, "--armor",
                "--export-secret-keys", "ferry@example.test"), FERRY_PASSPHRASE);
        assertThat(pair).contains("\"kind\":\"secret\"");
        give(ferry, "ferry@example.test", mallory);
        give(ferry, "ferry@example.test", partner);
        give(mallory, "mallory@example.test", partner);
        String open = route(account, "/inbox/*.pgp", "/inbox-clear", "{\"decrypt\":true,\"verifyWith\":\""
                + partnerKey + "\"}");
        byte[] data = "BGM+380+666'\n".repeat(2000).getBytes(StandardCharsets.US_ASCII);
        // signed by Mallory, not by the partner the route requires
        byte[] forged = mallory.exec(data, "--encrypt", "--sign", "-r", "ferry@example.test", "-u",
                "mallory@example.test");
        // encrypted to Mallory's key, not to Ferry's
        byte[] notOurs = partner.exec(data, "--encrypt", "--sign", "-r", "mallory@example.test", "-u",
                "edi@acme.example");
        // the partner's own message, altered on the way (a byte in the middle of the encrypted data)
        byte[] altered = partner.exec(data, "--encrypt", "--sign", "--compress-algo", "none", "-r",
                "ferry@example.test", "-u", "edi@acme.example");
        altered[altered.length / 2] ^= 0x40;
        // not signed at all, where the route requires the partner's signature
        byte[] unsigned = partner.exec(data, "--encrypt", "-r", "ferry@example.test");
        // 100 MB of zeros compressed to a few hundred KiB: more than a file of its size may become
        byte[] bomb = partner.exec(new byte[100_000_000], "--encrypt", "--sign", "--compress-algo", "zlib",
                "--compress-level", "9", "-r", "ferry@example.test", "-u", "edi@acme.example");

        try (SftpClient sftp = clients.sftp(sftpPort(), account, "pgp-password")) {
            sftp.mkdir("/inbox");
            write(sftp, "/inbox/forged.pgp", forged);
            write(sftp, "/inbox/not-ours.pgp", notOurs);
            write(sftp, "/inbox/altered.pgp", altered);
            write(sftp, "/inbox/unsigned.pgp", unsigned);
            write(sftp, "/inbox/bomb.pgp", bomb);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (String name : List.of("forged", "not-ours", "altered", "unsigned", "bomb")) {
                    assertThat(itemOf(open, "/inbox/" + name + ".pgp").get("state").asString()).as(name)
                            .isEqualTo("failed");
                }
            });
            assertThat(itemOf(open, "/inbox/forged.pgp").get("lastError").asString()).contains("signed by key ID",
                    "quarantine");
            assertThat(itemOf(open, "/inbox/not-ours.pgp").get("lastError").asString())
                    .contains("none of Ferry's keys");
            assertThat(itemOf(open, "/inbox/altered.pgp").get("lastError").asString()).contains("refused by OpenPGP");
            assertThat(itemOf(open, "/inbox/unsigned.pgp").get("lastError").asString()).contains("not signed");
            assertThat(itemOf(open, "/inbox/bomb.pgp").get("lastError").asString()).contains("more than Ferry takes");
            // no retry could help: each failed on its first attempt
            assertThat(itemOf(open, "/inbox/forged.pgp").get("attempts").asInt()).isEqualTo(1);
            List<String> quarantined = new ArrayList<>();
            sftp.readDir("/quarantine").forEach(entry -> quarantined.add(entry.getFilename()));
            assertThat(quarantined).anyMatch(n -> n.endsWith("-forged.pgp")).anyMatch(n -> n.endsWith("-not-ours.pgp"))
                    .anyMatch(n -> n.endsWith("-altered.pgp")).anyMatch(n -> n.endsWith("-unsigned.pgp"))
                    .anyMatch(n -> n.endsWith("-bomb.pgp"));
            assertThat(exists(sftp, "/inbox/forged.pgp")).isFalse();
            for (String name : List.of("forged", "not-ours", "altered", "unsigned", "bomb")) {
                assertThat(exists(sftp, "/inbox-clear/" + name)).as(name).isFalse();
            }
        }
    }

    /**
     * A subkey someone appended to a partner's key on its way to the administrator (the primary, and so the
     * fingerprint checked out of band, unchanged) is never encrypted to: it has no binding by the partner's primary
     * (found by an attacker's read: flags and validity were read from signatures nobody verified).
     */
    @Test
    void aSubkeyAppendedToAPartnersKeyShouldNeverBeEncryptedTo() throws Exception {
        String account = uniqueUser("pgpt");
        admin().createAccount(account, "pgp-password");
        PGPPublicKeyRing real = new PGPPublicKeyRing(partner.exec(null, "--export", "edi@acme.example"),
                new JcaKeyFingerprintCalculator());
        PGPPublicKeyRing intruder = new PGPPublicKeyRing(mallory.exec(null, "--export", "mallory@example.test"),
                new JcaKeyFingerprintCalculator());
        PGPPublicKey appended = null;
        for (PGPPublicKey key : intruder) {
            if (!key.isMasterKey()) {
                appended = key;
            }
        }
        // the intruder's subkey first, before the partner's own: a reader that takes the first subkey takes it
        List<PGPPublicKey> keys = new ArrayList<>(List.of(real.getPublicKey(), appended));
        for (PGPPublicKey own : real) {
            if (!own.isMasterKey()) {
                keys.add(own);
            }
        }
        ByteArrayOutputStream armored = new ByteArrayOutputStream();
        try (ArmoredOutputStream out = ArmoredOutputStream.builder().build(armored)) {
            new PGPPublicKeyRing(keys).encode(out);
        }
        String key = uniqueUser("acme-tampered");
        JsonNode imported = new ObjectMapper().readTree(importKey(key, armored.toString(StandardCharsets.US_ASCII),
                null));
        assertThat(imported.get("fingerprint").asString())
                .isEqualTo(HexFormat.of().withUpperCase().formatHex(real.getPublicKey().getFingerprint()));
        String seal = route(account, "/outbox/*.csv", "/outbox-sealed", "{\"encryptTo\":\"" + key + "\"}");
        byte[] orders = "ORDERS;1;2;3\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        try (SftpClient sftp = clients.sftp(sftpPort(), account, "pgp-password")) {
            sftp.mkdir("/outbox");
            write(sftp, "/outbox/orders.csv", orders);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(itemOf(seal, "/outbox/orders.csv")
                    .get("state").asString()).isEqualTo("done"));
            byte[] sealed = read(sftp, "/outbox-sealed/orders.csv.pgp");
            assertThat(partner.exec(sealed, "--decrypt")).isEqualTo(orders);
            Gpg.Run intercepted = mallory.attempt(sealed, "--decrypt");
            assertThat(intercepted.exit()).as(intercepted.errors()).isNotZero();
            assertThat(intercepted.out()).isEmpty();
        }
    }
}
