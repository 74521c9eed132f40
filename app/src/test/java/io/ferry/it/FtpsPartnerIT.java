package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * FTPS partners: the server's certificate pinned (a mismatch refused before the credentials are sent), or checked
 * against trusted CAs; deliveries and pulls over explicit and implicit FTPS. The partner is this node's own FTPS
 * listener, as another account.
 */
class FtpsPartnerIT extends NodeIT {

    private String ftpsPartner(String account, String password, String mode, String pin) {
        String name = uniqueUser("ftps-partner");
        int port = mode.equals("implicit") ? ftpsServer.implicitPort() : ftpsServer.explicitPort();
        Api.Response created = admin().post("/api/v1/partners", "{\"name\":\"" + name + "\",\"protocol\":\"ftps\","
                + "\"ftpsMode\":\"" + mode + "\",\"host\":\"127.0.0.1\",\"port\":" + port + ",\"username\":\""
                + account + "\",\"password\":\"" + password + "\",\"remoteDir\":\"/in\""
                + (pin == null ? "" : ",\"certificateFingerprint\":\"" + pin + "\"") + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return name;
    }

    @Test
    void theCertificateShouldBePinnedOrTrustedBeforeAnyCredentialIsSent() throws Exception {
        String remote = uniqueUser("remote");
        admin().createAccount(remote, "remote-password");
        Files.createDirectories(home(remote).resolve("in/sub"));
        Files.writeString(home(remote).resolve("in/hello.txt"), "hi");
        String fingerprint = ftpsServer.certificateFingerprint();

        String wrong = ftpsPartner(remote, "remote-password", "explicit", "00".repeat(31) + "01");
        JsonNode refused = admin().post("/api/v1/partners/" + wrong + "/check", "").json();
        assertThat(refused.get("ok").asBoolean()).isFalse();
        assertThat(refused.get("error").asString()).contains("certificate").contains("nothing was sent");
        assertThat(refused.get("presentedCertificate").asString()).isEqualTo(fingerprint);

        // the JVM's CAs do not know this node's self-signed certificate
        String unpinned = ftpsPartner(remote, "remote-password", "explicit", null);
        JsonNode untrusted = admin().post("/api/v1/partners/" + unpinned + "/check", "").json();
        assertThat(untrusted.get("ok").asBoolean()).isFalse();
        assertThat(untrusted.get("error").asString()).contains("certificate refused");

        // pinned as openssl prints it: lower case, colons, a prefix
        String pinned = ftpsPartner(remote, "remote-password", "explicit",
                "sha256 Fingerprint=" + fingerprint.toLowerCase());
        JsonNode ok = admin().post("/api/v1/partners/" + pinned + "/check", "").json();
        assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("entries").toString()).contains("hello.txt").contains("sub");
        assertThat(admin().get("/api/v1/partners/" + pinned).json().get("certificateFingerprint").asString())
                .isEqualTo(fingerprint);

        String implicit = ftpsPartner(remote, "remote-password", "implicit", fingerprint);
        assertThat(admin().post("/api/v1/partners/" + implicit + "/check", "").json().get("ok").asBoolean()).isTrue();

        String badPassword = ftpsPartner(remote, "not-the-password", "explicit", fingerprint);
        JsonNode login = admin().post("/api/v1/partners/" + badPassword + "/check", "").json();
        assertThat(login.get("ok").asBoolean()).isFalse();
        assertThat(login.get("error").asString()).contains("login refused");

        Api.Response mixed = admin().post("/api/v1/partners", "{\"name\":\"mixed\",\"protocol\":\"ftps\",\"host\":"
                + "\"h\",\"username\":\"u\",\"password\":\"p\",\"hostKey\":\"SHA256:" + "A".repeat(43) + "\"}");
        assertThat(mixed.status()).isEqualTo(400);
        Api.Response badPin = admin().post("/api/v1/partners", "{\"name\":\"bad-pin\",\"protocol\":\"ftps\",\"host\":"
                + "\"h\",\"username\":\"u\",\"password\":\"p\",\"certificateFingerprint\":\"AB:CD\"}");
        assertThat(badPin.status()).isEqualTo(400);
        assertThat(badPin.body()).contains("openssl");
    }

    @Test
    void aRouteShouldDeliverAndAScheduleShouldPullOverFtps() throws Exception {
        String source = uniqueUser("src");
        String remote = uniqueUser("remote");
        admin().createAccount(source, "source-password");
        admin().createAccount(remote, "remote-password");
        Files.createDirectories(home(remote).resolve("in"));
        String partner = ftpsPartner(remote, "remote-password", "explicit", ftpsServer.certificateFingerprint());
        String route = uniqueUser("route");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + source
                + "\",\"pathGlob\":\"/outbox/*\",\"partner\":\"" + partner + "\",\"remoteName\":\"ftps-{name}\"}")
                .status()).isEqualTo(201);
        byte[] data = SftpOperationsIT.random(1_500_000);
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/outbox");
            try (var out = sftp.write("/outbox/report.bin")) {
                out.write(data);
            }
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(Files.exists(home(remote).resolve("in/ftps-report.bin"))).isTrue());
        assertThat(Files.readAllBytes(home(remote).resolve("in/ftps-report.bin"))).isEqualTo(data);
        try (var listing = Files.list(home(remote).resolve("in"))) {
            assertThat(listing.map(p -> p.getFileName().toString())).containsExactly("ftps-report.bin");
        }

        // and back: a pull over FTPS that removes the partner's copy once it is fetched
        String local = uniqueUser("puller");
        admin().createAccount(local, "local-password");
        String schedule = uniqueUser("pull");
        Api.Response created = admin().post("/api/v1/schedules", "{\"name\":\"" + schedule + "\",\"kind\":\"pull\","
                + "\"cron\":\"* * * * * *\",\"partner\":\"" + partner + "\",\"account\":\"" + local + "\",\"folder\":"
                + "\"/from-remote\",\"deleteRemote\":true}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(Files.exists(home(remote).resolve("in/ftps-report.bin"))).isFalse();
            assertThat(home(local).resolve("from-remote/ftps-report.bin")).exists();
        });
        assertThat(admin().post("/api/v1/schedules/" + schedule + "/enabled", "{\"enabled\":false}").status())
                .isEqualTo(200);
        assertThat(Files.readAllBytes(home(local).resolve("from-remote/ftps-report.bin"))).isEqualTo(data);
    }
}
