package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/** Every administrative change through the API leaves an audit row: who, from where, what, before and after. */
class AuditIT extends NodeIT {

    @Test
    void apiChangesShouldBeAuditedWithoutTheirSecrets() {
        String user = uniqueUser("audited");
        assertThat(admin().post("/api/v1/accounts", account(user)).status()).isEqualTo(201);
        JsonNode created = latest("/api/v1/accounts");
        assertThat(created.get("actor").asString()).isEqualTo("admin");
        assertThat(created.get("address").asString()).isEqualTo("127.0.0.1");
        assertThat(created.get("node").asString()).isEqualTo("it-node");
        assertThat(created.get("channel").asString()).isEqualTo("api");
        assertThat(created.get("method").asString()).isEqualTo("POST");
        assertThat(created.get("status").asInt()).isEqualTo(201);
        assertThat(created.get("request").asString()).contains("\"username\":\"" + user + "\"",
                "\"password\":\"***\"").doesNotContain("audited-password-1");
        assertThat(created.get("after").asString()).contains("\"username\":\"" + user + "\"");

        assertThat(admin().patch("/api/v1/accounts/" + user, "{\"quotaBytes\":4096,\"password\":\"new-password-22\"}")
                .status()).isEqualTo(200);
        JsonNode changed = latest("/api/v1/accounts/" + user);
        assertThat(changed.get("method").asString()).isEqualTo("PATCH");
        assertThat(changed.get("before").asString()).contains("\"quotaBytes\":0");
        assertThat(changed.get("after").asString()).contains("\"quotaBytes\":4096");
        assertThat(changed.toString()).doesNotContain("new-password-22");

        // a change the application refuses is recorded with the reason
        assertThat(admin().post("/api/v1/accounts", account(user)).status()).isEqualTo(409);
        JsonNode refused = latest("/api/v1/accounts");
        assertThat(refused.get("status").asInt()).isEqualTo(409);
        assertThat(refused.get("outcome").asString()).contains("already exists");

        assertThat(admin().delete("/api/v1/accounts/" + user).status()).isEqualTo(204);
        JsonNode deleted = latest("/api/v1/accounts/" + user);
        assertThat(deleted.get("method").asString()).isEqualTo("DELETE");
        assertThat(deleted.get("before").asString()).contains("\"quotaBytes\":4096");
    }

    private static String account(String user) {
        return "{\"username\":\"" + user + "\",\"password\":\"audited-password-1\"}";
    }

    /** The newest audit row whose target is exactly {@code target}. */
    private JsonNode latest(String target) {
        for (JsonNode entry : admin().get("/api/v1/audit?target=" + target + "&size=50").json()) {
            if (entry.get("target").asString().equals(target)) {
                return entry;
            }
        }
        throw new AssertionError("no audit row for " + target);
    }
}
