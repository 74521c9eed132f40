package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import tools.jackson.databind.JsonNode;

class AccountApiIT extends NodeIT {

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void accountShouldBeCreatedReadUpdatedAndDeleted() {
        String user = uniqueUser("api");
        Api.Response created = admin().post("/api/v1/accounts",
                "{\"username\":\"" + user + "\",\"password\":\"correct horse\",\"permissions\":[\"list\",\"read\"]}");
        assertThat(created.status()).isEqualTo(201);
        JsonNode body = created.json();
        assertThat(body.get("username").asString()).isEqualTo(user);
        assertThat(body.get("home").asString()).isEqualTo(user);
        assertThat(body.get("permissions").toString()).isEqualTo("[\"list\",\"read\"]");
        assertThat(body.get("hasPassword").asBoolean()).isTrue();
        assertThat(body.has("passwordHash")).isFalse();
        assertThat(jdbc.queryForObject("SELECT password_hash FROM accounts WHERE username = ?", String.class, user))
                .as("stored as an Argon2id hash").startsWith("{argon2}$argon2id$");

        Api.Response got = admin().get("/api/v1/accounts/" + user);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.json().get("enabled").asBoolean()).isTrue();

        Api.Response updated = admin().patch("/api/v1/accounts/" + user,
                "{\"enabled\":false,\"home\":\"partners/" + user + "\",\"permissions\":[\"write\"]}");
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.json().get("enabled").asBoolean()).isFalse();
        assertThat(updated.json().get("home").asString()).isEqualTo("partners/" + user);
        assertThat(updated.json().get("permissions").toString()).isEqualTo("[\"write\"]");

        Api.Response listed = admin().get("/api/v1/accounts?search=" + user);
        assertThat(listed.json().get("totalItems").asLong()).isEqualTo(1);
        assertThat(listed.json().get("items").get(0).get("username").asString()).isEqualTo(user);

        assertThat(admin().delete("/api/v1/accounts/" + user).status()).isEqualTo(204);
        assertThat(admin().get("/api/v1/accounts/" + user).status()).isEqualTo(404);
    }

    @Test
    void badInputShouldGetAClearErrorAndTheRightStatus() {
        String user = uniqueUser("bad");
        admin().createAccount(user, "long enough");

        Api.Response duplicate = admin().post("/api/v1/accounts",
                "{\"username\":\"" + user + "\",\"password\":\"long enough\"}");
        assertThat(duplicate.status()).isEqualTo(409);
        assertThat(duplicate.json().get("detail").asString()).contains("already exists");

        Api.Response unknownField = admin().post("/api/v1/accounts",
                "{\"username\":\"x" + user + "\",\"password\":\"long enough\",\"colour\":\"blue\"}");
        assertThat(unknownField.status()).isEqualTo(400);
        assertThat(unknownField.json().get("detail").asString()).contains("colour");

        Api.Response badName = admin().post("/api/v1/accounts", "{\"username\":\"../root\",\"password\":\"long enough\"}");
        assertThat(badName.status()).isEqualTo(400);
        assertThat(badName.json().get("detail").asString()).contains("username");

        Api.Response badHome = admin().post("/api/v1/accounts",
                "{\"username\":\"y" + user + "\",\"password\":\"long enough\",\"home\":\"../../etc\"}");
        assertThat(badHome.status()).isEqualTo(400);
        assertThat(badHome.json().get("detail").asString()).contains("home");

        Api.Response badPermission = admin().post("/api/v1/accounts",
                "{\"username\":\"z" + user + "\",\"password\":\"long enough\",\"permissions\":[\"fly\"]}");
        assertThat(badPermission.status()).isEqualTo(400);
        assertThat(badPermission.json().get("detail").asString()).contains("fly");

        Api.Response shortPassword = admin().post("/api/v1/accounts",
                "{\"username\":\"w" + user + "\",\"password\":\"short\"}");
        assertThat(shortPassword.status()).isEqualTo(400);
        assertThat(shortPassword.json().get("detail").asString()).contains("password");

        Api.Response notJson = admin().post("/api/v1/accounts", "{username:");
        assertThat(notJson.status()).isEqualTo(400);

        Api.Response malformedKey = admin().post("/api/v1/accounts/" + user + "/keys",
                "{\"publicKey\":\"ssh-ed25519 bm90IGEga2V5\"}");
        assertThat(malformedKey.status()).isEqualTo(400);
        assertThat(malformedKey.json().get("detail").asString()).contains("publicKey");

        assertThat(admin().get("/api/v1/accounts/nobody-" + user).status()).isEqualTo(404);
        assertThat(admin().get("/api/v1/transfers?status=maybe").status()).isEqualTo(400);
        assertThat(admin().get("/api/v1/transfers?from=yesterday").status()).isEqualTo(400);
        Api.Response plain = admin().post("/api/v1/storage/reencrypt", "");
        assertThat(plain.status()).isEqualTo(409);
        assertThat(plain.json().get("detail").asString()).contains("encryption at rest is off");
        Api.Response negativeQuota = admin().patch("/api/v1/accounts/" + user, "{\"quotaBytes\":-1}");
        assertThat(negativeQuota.status()).isEqualTo(400);
        assertThat(negativeQuota.json().get("detail").asString()).contains("quotaBytes");
    }

    @Test
    void apiShouldRequireAdministratorCredentials() {
        assertThat(new Api(httpPort, null, null).get("/api/v1/accounts").status()).isEqualTo(401);
        assertThat(new Api(httpPort, "admin", "wrong").get("/api/v1/accounts").status()).isEqualTo(401);
        assertThat(new Api(httpPort, null, null).get("/actuator/health").status()).isEqualTo(200);
        assertThat(new Api(httpPort, null, null).get("/actuator/prometheus").status()).isEqualTo(401);
        assertThat(admin().get("/actuator/prometheus").status()).isEqualTo(200);
    }

    @Test
    void publicKeysShouldBeAddedListedAndRemoved() throws Exception {
        String user = uniqueUser("keys");
        admin().createAccount(user, "long enough");
        KeyPair pair = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        String line = PublicKeyEntry.toString(pair.getPublic()) + " laptop@acme";

        Api.Response added = admin().post("/api/v1/accounts/" + user + "/keys", "{\"publicKey\":\"" + line + "\"}");
        assertThat(added.status()).isEqualTo(201);
        assertThat(added.json().get("fingerprint").asString()).isEqualTo(KeyUtils.getFingerPrint(pair.getPublic()));
        assertThat(added.json().get("comment").asString()).isEqualTo("laptop@acme");
        long id = added.json().get("id").asLong();

        assertThat(admin().post("/api/v1/accounts/" + user + "/keys", "{\"publicKey\":\"" + line + "\"}").status())
                .isEqualTo(409);
        Api.Response listed = admin().get("/api/v1/accounts/" + user + "/keys");
        assertThat(listed.json().size()).isEqualTo(1);

        assertThat(admin().delete("/api/v1/accounts/" + user + "/keys/" + id).status()).isEqualTo(204);
        assertThat(admin().get("/api/v1/accounts/" + user + "/keys").json().size()).isZero();
        assertThat(admin().delete("/api/v1/accounts/" + user + "/keys/" + id).status()).isEqualTo(404);
    }
}
