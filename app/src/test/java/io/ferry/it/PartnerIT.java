package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.ferry.transfer.sftp.HostKeyStore;
import tools.jackson.databind.JsonNode;

/**
 * SFTP partners: created with a pinned host key, secrets never shown again, and checked by connecting as a delivery
 * would. The partner here is this node's own SFTP listener, logged into with another account.
 */
class PartnerIT extends NodeIT {

    @Autowired
    HostKeyStore hostKeys;

    private static final String WRONG_KEY = "SHA256:" + "A".repeat(43);

    @Test
    void aPartnerShouldConnectOnlyToThePinnedHostKey() throws Exception {
        String remote = uniqueUser("remote");
        admin().createAccount(remote, "remote-side-password");
        Files.createDirectories(home(remote).resolve("outbox"));
        Files.writeString(home(remote).resolve("outbox/hello.txt"), "hello");
        String name = uniqueUser("partner");

        Api.Response created = admin().post("/api/v1/partners", "{\"name\":\"" + name + "\",\"host\":\"127.0.0.1\","
                + "\"port\":" + sftpPort() + ",\"username\":\"" + remote + "\",\"password\":\"remote-side-password\","
                + "\"hostKey\":\"" + WRONG_KEY + "\",\"remoteDir\":\"/outbox\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode partner = created.json();
        assertThat(partner.get("hasPassword").asBoolean()).isTrue();
        assertThat(partner.has("password")).isFalse();
        assertThat(created.body()).doesNotContain("remote-side-password");

        // another host key than the pinned one: refused before any credential is sent
        JsonNode refused = admin().post("/api/v1/partners/" + name + "/check", "").json();
        assertThat(refused.get("ok").asBoolean()).isFalse();
        assertThat(refused.get("error").asString()).contains("host key mismatch");
        String presented = refused.get("presentedHostKey").asString();
        assertThat(hostKeys.fingerprints()).anyMatch(f -> f.endsWith(" " + presented));

        // pinned to the right key (after checking it out of band): connects, logs in, lists the folder
        assertThat(admin().patch("/api/v1/partners/" + name, "{\"hostKey\":\"" + presented + "\"}").status())
                .isEqualTo(200);
        JsonNode ok = admin().post("/api/v1/partners/" + name + "/check", "").json();
        assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("entries").toString()).contains("hello.txt");

        // a wrong password is reported, not hidden
        admin().patch("/api/v1/partners/" + name, "{\"password\":\"not-the-password\"}");
        JsonNode denied = admin().post("/api/v1/partners/" + name + "/check", "").json();
        assertThat(denied.get("ok").asBoolean()).isFalse();
        assertThat(denied.get("error").asString()).isNotBlank();

        assertThat(admin().get("/api/v1/partners").body()).contains(name);
        assertThat(admin().delete("/api/v1/partners/" + name).status()).isEqualTo(204);
        assertThat(admin().get("/api/v1/partners/" + name).status()).isEqualTo(404);
    }

    @Test
    void aPartnerShouldLogInWithAPrivateKey(@org.junit.jupiter.api.io.TempDir java.nio.file.Path keys)
            throws Exception {
        String remote = uniqueUser("remotekey");
        admin().createAccount(remote, "remote-side-password");
        OpenSshClient openssh = new OpenSshClient(keys);
        admin().addKey(remote, openssh.publicKey());
        String hostKey = hostKeys.fingerprints().stream().filter(f -> f.startsWith("ssh-ed25519 "))
                .map(f -> f.substring(f.indexOf(' ') + 1)).findFirst().orElseThrow();
        String name = uniqueUser("partnerkey");
        String json = "{\"name\":\"" + name + "\",\"host\":\"127.0.0.1\",\"port\":" + sftpPort()
                + ",\"username\":\"" + remote + "\",\"privateKey\":"
                + new tools.jackson.databind.ObjectMapper().writeValueAsString(openssh.privateKey())
                + ",\"hostKey\":\"" + hostKey + "\"}";
        Api.Response created = admin().post("/api/v1/partners", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().get("hasPrivateKey").asBoolean()).isTrue();
        assertThat(created.body()).doesNotContain("PRIVATE KEY");
        JsonNode check = admin().post("/api/v1/partners/" + name + "/check", "").json();
        // the client may be offered either of the node's host keys; the ed25519 one is what it pinned
        if (!check.get("ok").asBoolean()) {
            assertThat(check.get("error").asString()).as(check.toString()).contains("host key mismatch");
            admin().patch("/api/v1/partners/" + name, "{\"hostKey\":\"" + check.get("presentedHostKey").asString()
                    + "\"}");
            check = admin().post("/api/v1/partners/" + name + "/check", "").json();
        }
        assertThat(check.get("ok").asBoolean()).as(check.toString()).isTrue();
    }

    @Test
    void aPartnerWithoutAPinnedHostKeyOrCredentialsShouldBeRefused() {
        Api.Response noKey = admin().post("/api/v1/partners", "{\"name\":\"" + uniqueUser("p") + "\",\"host\":"
                + "\"sftp.example\",\"username\":\"u\",\"password\":\"secret-secret\"}");
        assertThat(noKey.status()).isEqualTo(400);
        assertThat(noKey.body()).contains("hostKey is required");
        Api.Response noSecret = admin().post("/api/v1/partners", "{\"name\":\"" + uniqueUser("p") + "\",\"host\":"
                + "\"sftp.example\",\"username\":\"u\",\"hostKey\":\"" + WRONG_KEY + "\"}");
        assertThat(noSecret.status()).isEqualTo(400);
        assertThat(noSecret.body()).contains("password or a privateKey");
        Api.Response ftps = admin().post("/api/v1/partners", "{\"name\":\"" + uniqueUser("p") + "\",\"protocol\":"
                + "\"ftps\",\"host\":\"ftp.example\",\"username\":\"u\",\"password\":\"secret-secret\",\"hostKey\":\""
                + WRONG_KEY + "\"}");
        assertThat(ftps.status()).isEqualTo(400);
    }
}
