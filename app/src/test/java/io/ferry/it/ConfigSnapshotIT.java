package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * Configuration export and import (JSON and XML, secrets encrypted or omitted) against the real node: what is
 * exported and then deleted comes back whole, the account's password and the partner's included, and a refused
 * import changes nothing.
 */
class ConfigSnapshotIT extends NodeIT {

    private static final String PASSPHRASE = "correct horse battery staple";

    @Test
    void anEncryptedExportShouldBringBackWhatWasDeletedPasswordsIncluded() throws Exception {
        String account = uniqueUser("snap");
        String target = uniqueUser("snapdst");
        admin().createAccount(account, "snap-password-1");
        admin().createAccount(target, "snap-target-password");
        String key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl snap@test";
        admin().addKey(account, key);
        assertThat(admin().patch("/api/v1/accounts/" + account, "{\"quotaFiles\":77,\"deniedAddresses\":"
                + "[\"203.0.113.0/24\"]}").status()).isEqualTo(200);
        String partner = sftpPartner(target, "snap-target-password");
        String route = uniqueUser("snaproute");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + account
                + "\",\"pathGlob\":\"/out/*.csv\",\"partner\":\"" + partner + "\",\"postAction\":\"archive\"}")
                .status()).isEqualTo(201);
        String schedule = uniqueUser("snapsched");
        assertThat(admin().post("/api/v1/schedules", "{\"name\":\"" + schedule + "\",\"kind\":\"push\",\"cron\":"
                + "\"0 30 2 * * *\",\"timeZone\":\"Europe/Paris\",\"partner\":\"" + partner + "\",\"account\":\""
                + account + "\",\"folder\":\"/out\",\"fileGlob\":\"*.csv\"}").status()).isEqualTo(201);

        Api.Response encrypted = admin().post("/api/v1/config/export", "{\"format\":\"json\",\"secrets\":"
                + "\"encrypted\",\"passphrase\":\"" + PASSPHRASE + "\"}");
        assertThat(encrypted.status()).as(encrypted.body()).isEqualTo(200);
        String document = encrypted.body();
        assertThat(document).doesNotContain("snap-target-password").contains("\"secrets\" : \"encrypted\"")
                .contains("PBKDF2WithHmacSHA256");
        JsonNode exported = encrypted.json();
        JsonNode accountEntry = entry(exported.get("accounts"), "username", account);
        assertThat(accountEntry.get("passwordHash").asString()).startsWith("enc:v1:");
        assertThat(accountEntry.get("quotaFiles").asLong()).isEqualTo(77);
        assertThat(accountEntry.get("publicKeys").toString()).contains("AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0");
        assertThat(entry(exported.get("partners"), "name", partner).get("password").asString()).startsWith("enc:v1:");
        assertThat(entry(exported.get("schedules"), "name", schedule).get("timeZone").asString())
                .isEqualTo("Europe/Paris");

        Api.Response omitted = admin().post("/api/v1/config/export", "{\"secrets\":\"omitted\"}");
        assertThat(omitted.status()).isEqualTo(200);
        assertThat(entry(omitted.json().get("accounts"), "username", account).get("passwordHash").isNull()).isTrue();
        assertThat(entry(omitted.json().get("partners"), "name", partner).get("password").isNull()).isTrue();

        // the disaster: all of it deleted
        assertThat(admin().delete("/api/v1/schedules/" + schedule).status()).isEqualTo(204);
        assertThat(admin().delete("/api/v1/routes/" + route).status()).isEqualTo(204);
        assertThat(admin().delete("/api/v1/partners/" + partner).status()).isEqualTo(204);
        assertThat(admin().delete("/api/v1/accounts/" + account).status()).isEqualTo(204);

        Api.Response wrong = admin().post("/api/v1/config/import", "application/json", document,
                "X-Ferry-Passphrase", "not the passphrase at all");
        assertThat(wrong.status()).isEqualTo(400);
        assertThat(wrong.body()).contains("wrong passphrase");
        Api.Response noSecretForNewPartner = admin().post("/api/v1/config/import", "application/json",
                omitted.body());
        assertThat(noSecretForNewPartner.status()).isEqualTo(400);
        assertThat(noSecretForNewPartner.body()).contains("partner '" + partner + "'").contains("no password");
        assertThat(admin().get("/api/v1/accounts/" + account).status()).as("the refused import changed nothing")
                .isEqualTo(404);

        Api.Response dryRun = admin().post("/api/v1/config/import?dryRun=true", "application/json", document,
                "X-Ferry-Passphrase", PASSPHRASE);
        assertThat(dryRun.status()).as(dryRun.body()).isEqualTo(200);
        assertThat(dryRun.json().get("dryRun").asBoolean()).isTrue();
        assertThat(dryRun.json().at("/changes/accounts/created").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(admin().get("/api/v1/accounts/" + account).status()).isEqualTo(404);

        Api.Response imported = admin().post("/api/v1/config/import", "application/json", document,
                "X-Ferry-Passphrase", PASSPHRASE);
        assertThat(imported.status()).as(imported.body()).isEqualTo(200);
        assertThat(imported.json().at("/changes/partners/created").asInt()).isGreaterThanOrEqualTo(1);

        // the account logs in with its old password, has its key, quota and rules
        try (SftpClient sftp = clients.sftp(sftpPort(), account, "snap-password-1")) {
            assertThat(sftp.canonicalPath(".")).isEqualTo("/");
        }
        JsonNode restored = admin().get("/api/v1/accounts/" + account).json();
        assertThat(restored.get("quotaFiles").asLong()).isEqualTo(77);
        assertThat(restored.toString()).contains("203.0.113.0/24");
        assertThat(admin().get("/api/v1/accounts/" + account + "/keys").body()).contains("AAAAC3NzaC1lZDI1NTE5");
        // the partner works with its restored password
        JsonNode check = admin().post("/api/v1/partners/" + partner + "/check", "").json();
        assertThat(check.get("ok").asBoolean()).as(check.toString()).isTrue();
        assertThat(admin().get("/api/v1/routes/" + route).json().get("postAction").asString()).isEqualTo("archive");
        assertThat(admin().get("/api/v1/schedules/" + schedule).json().get("cron").asString())
                .isEqualTo("0 30 2 * * *");
    }

    @Test
    void anXmlExportShouldReadBackAndRestoreARoute() throws Exception {
        String account = uniqueUser("snapxml");
        admin().createAccount(account, "snap-xml-password");
        String route = uniqueUser("xmlroute");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + account
                + "\",\"pathGlob\":\"/in/*.xml\",\"copyTo\":\"/copies\"}").status()).isEqualTo(201);

        Api.Response xml = admin().post("/api/v1/config/export", "{\"format\":\"xml\",\"secrets\":\"encrypted\","
                + "\"passphrase\":\"" + PASSPHRASE + "\"}");
        assertThat(xml.status()).as(xml.body()).isEqualTo(200);
        assertThat(xml.body()).startsWith("<?xml").contains("<ferryConfiguration>").contains("<name>" + route
                + "</name>").contains("<copyTo>" + account + ":/copies</copyTo>");
        javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new java.io.ByteArrayInputStream(xml.body().getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        assertThat(admin().delete("/api/v1/routes/" + route).status()).isEqualTo(204);
        Api.Response imported = admin().post("/api/v1/config/import", "application/xml", xml.body(),
                "X-Ferry-Passphrase", PASSPHRASE);
        assertThat(imported.status()).as(imported.body()).isEqualTo(200);
        JsonNode back = admin().get("/api/v1/routes/" + route).json();
        assertThat(back.get("copyTo").asString()).isEqualTo(account + ":/copies");
        assertThat(back.get("pathGlob").asString()).isEqualTo("/in/*.xml");
        // the same document again changes nothing about the route
        Api.Response again = admin().post("/api/v1/config/import", "application/xml", xml.body(),
                "X-Ferry-Passphrase", PASSPHRASE);
        assertThat(again.json().at("/changes/routes/created").asInt()).isZero();
        assertThat(again.json().at("/changes/routes/updated").asInt()).isZero();

        assertThat(admin().post("/api/v1/config/import", "application/xml",
                "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>").status())
                .as("DTDs are refused").isEqualTo(400);
    }

    private static JsonNode entry(JsonNode list, String field, String value) {
        for (JsonNode item : list) {
            if (item.get(field).asString().equals(value)) {
                return item;
            }
        }
        throw new AssertionError("no entry with " + field + " " + value + " in " + list);
    }
}
