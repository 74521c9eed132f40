package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import tools.jackson.databind.JsonNode;

/**
 * API tokens (issue 18, item 4): scripts and Prometheus call the API with {@code Authorization: Bearer}, scoped,
 * expiring, revocable, shown once and kept only hashed, and pay no Argon2id per request.
 */
class ApiTokenIT extends NodeIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Autowired
    JdbcTemplate jdbc;

    private HttpResponse<String> call(String method, String path, String token, String json) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + token);
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode create(String name, String scope) {
        Api.Response created = admin().post("/api/v1/tokens", "{\"name\":\"" + name + "\",\"scope\":\"" + scope
                + "\",\"days\":30}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created.json();
    }

    @Test
    void aReadTokenShouldReadAndChangeNothingAndAFullOneShouldChange() throws Exception {
        JsonNode read = create(uniqueUser("prometheus"), "read");
        String secret = read.get("token").asString();
        assertThat(secret).startsWith("ferry_").hasSizeGreaterThan(40);

        assertThat(call("GET", "/api/v1/accounts", secret, null).statusCode()).isEqualTo(200);
        assertThat(call("GET", "/actuator/prometheus", secret, null).statusCode()).isEqualTo(200);
        String user = uniqueUser("by-token");
        String account = "{\"username\":\"" + user + "\",\"password\":\"token-password-12\"}";
        assertThat(call("POST", "/api/v1/accounts", secret, account).statusCode()).isEqualTo(403);

        String full = create(uniqueUser("deploy"), "full").get("token").asString();
        assertThat(call("POST", "/api/v1/accounts", full, account).statusCode()).isEqualTo(201);
        // the audit log names the token, never its secret
        String audit = admin().get("/api/v1/audit?target=/api/v1/&size=500").body();
        assertThat(audit).contains("token:").doesNotContain(full).doesNotContain(secret);

        // an unknown token is refused, not taken for an anonymous request
        assertThat(call("GET", "/api/v1/accounts", "ferry_not-a-token", null).statusCode()).isEqualTo(401);
    }

    @Test
    void aTokenShouldBeShownOnceKeptHashedAndEndWhenRevokedOrExpired() throws Exception {
        String name = uniqueUser("script");
        JsonNode created = create(name, "read");
        String secret = created.get("token").asString();
        long id = created.get("id").asLong();

        String listed = admin().get("/api/v1/tokens").body();
        assertThat(listed).contains(name).doesNotContain(secret).doesNotContain("token_hash");
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT * FROM api_tokens WHERE id = ?", id);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).values().toString()).doesNotContain(secret);

        assertThat(call("GET", "/api/v1/accounts", secret, null).statusCode()).isEqualTo(200);
        jdbc.update("UPDATE api_tokens SET expires_at = ? WHERE id = ?",
                Timestamp.from(Instant.now().minusSeconds(1)), id);
        assertThat(call("GET", "/api/v1/accounts", secret, null).statusCode()).as("expired").isEqualTo(401);

        String other = create(uniqueUser("revoked"), "full").get("token").asString();
        long otherId = admin().get("/api/v1/tokens").json().get(0).get("id").asLong();
        assertThat(admin().delete("/api/v1/tokens/" + otherId).status()).isEqualTo(204);
        assertThat(call("GET", "/api/v1/accounts", other, null).statusCode()).as("revoked").isEqualTo(401);
        assertThat(admin().delete("/api/v1/tokens/" + otherId).status()).isEqualTo(404);

        assertThat(admin().post("/api/v1/tokens", "{\"name\":\"x\",\"scope\":\"root\",\"days\":30}").status())
                .isEqualTo(400);
        assertThat(admin().post("/api/v1/tokens", "{\"name\":\"x\",\"scope\":\"read\",\"days\":400}").status())
                .isEqualTo(400);
    }
}
