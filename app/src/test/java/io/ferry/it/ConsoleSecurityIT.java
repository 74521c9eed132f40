package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * The console's and API's security: CSRF tokens on the console's forms, the read-only operator role on both, secure
 * headers, and the lockout after repeated wrong passwords.
 */
class ConsoleSecurityIT extends NodeIT {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    /** A browser-like client: a cookie jar, no redirects followed. */
    private final class Console {
        final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager())
                .followRedirects(HttpClient.Redirect.NEVER).build();

        HttpResponse<String> get(String path) throws Exception {
            return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
            String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                    + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
            return http.send(HttpRequest.newBuilder(uri(path)).header("Content-Type",
                    "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }

        /** The CSRF token of a page's forms. */
        String token(String path) throws Exception {
            Matcher m = CSRF.matcher(get(path).body());
            assertThat(m.find()).as("a CSRF token on " + path).isTrue();
            return m.group(1);
        }

        HttpResponse<String> login(String user, String password) throws Exception {
            return post("/login", Map.of("username", user, "password", password, "_csrf", token("/login")));
        }

        private URI uri(String path) {
            return URI.create("http://127.0.0.1:" + httpPort + path);
        }
    }

    @Test
    void aFormPostedWithoutItsCsrfTokenShouldBeRefused() throws Exception {
        Console console = new Console();
        HttpResponse<String> login = console.login("admin", ADMIN_PASSWORD);
        assertThat(login.statusCode()).isEqualTo(302);
        assertThat(login.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/"));

        String user = uniqueUser("csrf");
        Map<String, String> account = Map.of("username", user, "password", "csrf-password", "permissions", "read");
        assertThat(console.post("/accounts", account).statusCode()).isEqualTo(403);
        assertThat(admin().get("/api/v1/accounts/" + user).status()).isEqualTo(404);

        Map<String, String> withToken = new java.util.HashMap<>(account);
        withToken.put("_csrf", console.token("/accounts/new"));
        HttpResponse<String> created = console.post("/accounts", withToken);
        assertThat(created.statusCode()).isEqualTo(302);
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l ->
                assertThat(l).endsWith("/accounts/" + user));
        assertThat(admin().get("/api/v1/accounts/" + user).json().get("permissions").toString()).isEqualTo("[\"read\"]");

        // the console's change is in the audit log, without the password or the CSRF token; the refused post is not
        JsonNode audited = admin().get("/api/v1/audit?actor=admin&target=/accounts&size=500").json();
        JsonNode row = null;
        for (JsonNode entry : audited) {
            if (entry.get("channel").asString().equals("console") && entry.get("request").asString().contains(user)) {
                assertThat(row).as("one audit row for the console's change").isNull();
                row = entry;
            }
        }
        assertThat(row).isNotNull();
        assertThat(row.get("method").asString()).isEqualTo("POST");
        assertThat(row.get("target").asString()).isEqualTo("/accounts");
        assertThat(row.get("outcome").asString()).isEqualTo("Account " + user + " created.");
        assertThat(row.get("request").asString()).contains("\"password\":\"***\"", "\"_csrf\":\"***\"")
                .doesNotContain("csrf-password");
    }

    /** An API token made in the console: shown once on the page after, listed without it, revocable there. */
    @Test
    void anApiTokenMadeInTheConsoleShouldBeShownOnceAndRevocable() throws Exception {
        Console console = new Console();
        assertThat(console.login("admin", ADMIN_PASSWORD).statusCode()).isEqualTo(302);
        String name = uniqueUser("console-token");
        HttpResponse<String> made = console.post("/admins/tokens", Map.of("name", name, "scope", "read", "days", "7",
                "_csrf", console.token("/admins")));
        assertThat(made.statusCode()).isEqualTo(302);
        String page = console.get("/admins").body();
        Matcher shown = Pattern.compile("id=\"token-secret\">(ferry_[^<]+)<").matcher(page);
        assertThat(shown.find()).as(page).isTrue();
        String secret = shown.group(1);
        assertThat(console.get("/admins").body()).as("shown once").doesNotContain(secret).contains(name);

        HttpResponse<String> used = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts")).header("Authorization", "Bearer " + secret)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(used.statusCode()).isEqualTo(200);

        long id = 0;
        for (JsonNode token : admin().get("/api/v1/tokens").json()) {
            if (token.get("name").asString().equals(name)) {
                id = token.get("id").asLong();
            }
        }
        assertThat(console.post("/admins/tokens/" + id + "/revoke", Map.of("_csrf", console.token("/admins")))
                .statusCode()).isEqualTo(302);
        HttpResponse<String> revoked = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + httpPort + "/api/v1/accounts")).header("Authorization", "Bearer " + secret)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(revoked.statusCode()).isEqualTo(401);
    }

    @Test
    void pagesShouldNeedALoginAndCarrySecureHeaders() throws Exception {
        Console console = new Console();
        HttpResponse<String> anonymous = console.get("/accounts");
        assertThat(anonymous.statusCode()).isEqualTo(302);
        assertThat(anonymous.headers().firstValue("Location")).hasValueSatisfying(l ->
                assertThat(l).endsWith("/login"));
        HttpResponse<String> login = console.get("/login");
        assertThat(login.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("default-src 'self'", "frame-ancestors 'none'"));
        assertThat(login.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        assertThat(login.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    }

    @Test
    void theOpenApiDescriptionShouldNeedALogin() throws Exception {
        assertThat(new Api(httpPort, null, null).get("/v3/api-docs").status()).isEqualTo(401);
        Api.Response docs = admin().get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        JsonNode paths = docs.json().get("paths");
        assertThat(paths.has("/api/v1/accounts")).isTrue();
        assertThat(paths.has("/api/v1/audit")).isTrue();
        assertThat(paths.has("/accounts")).as("console pages are not API").isFalse();
        assertThat(docs.json().get("info").get("title").asString()).isEqualTo("Ferry REST API");
    }

    @Test
    void anOperatorShouldSeeEverythingAndChangeNothing() throws Exception {
        String operator = uniqueUser("operator");
        Api.Response created = admin().post("/api/v1/admin-users", "{\"username\":\"" + operator
                + "\",\"password\":\"operator-password\",\"role\":\"operator\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().get("role").asString()).isEqualTo("OPERATOR");

        Api api = new Api(httpPort, operator, "operator-password");
        assertThat(api.get("/api/v1/accounts").status()).isEqualTo(200);
        assertThat(api.get("/api/v1/transfers").status()).isEqualTo(200);
        assertThat(api.post("/api/v1/accounts", "{\"username\":\"" + uniqueUser("no") + "\",\"password\":"
                + "\"no-password\"}").status()).isEqualTo(403);
        assertThat(api.post("/api/v1/admin-users", "{\"username\":\"" + uniqueUser("no") + "\",\"password\":"
                + "\"no-password-at-all\",\"role\":\"admin\"}").status()).isEqualTo(403);

        Console console = new Console();
        assertThat(console.login(operator, "operator-password").statusCode()).isEqualTo(302);
        HttpResponse<String> accounts = console.get("/accounts");
        assertThat(accounts.statusCode()).isEqualTo(200);
        assertThat(accounts.body()).contains("operator (read-only)").doesNotContain("id=\"new-account\"");
        String user = uniqueUser("byoperator");
        HttpResponse<String> refused = console.post("/accounts", Map.of("username", user, "password",
                "operator-made", "_csrf", console.token("/accounts")));
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("change nothing");
        assertThat(admin().get("/api/v1/accounts/" + user).status()).isEqualTo(404);

        // a disabled operator cannot log in
        assertThat(admin().patch("/api/v1/admin-users/" + operator, "{\"enabled\":false}").status()).isEqualTo(200);
        assertThat(new Api(httpPort, operator, "operator-password").get("/api/v1/accounts").status()).isEqualTo(401);
    }

    @Test
    void theLastEnabledAdministratorShouldNotBeDemotedDisabledOrDeleted() throws Exception {
        // other tests' administrators are disabled for the check (the shared node has several), then restored
        java.util.List<String> others = new java.util.ArrayList<>();
        for (var user : admin().get("/api/v1/admin-users").json()) {
            String name = user.get("username").asString();
            if (!name.equals("admin") && user.get("enabled").asBoolean() && user.get("role").asString().equals("ADMIN")) {
                others.add(name);
            }
        }
        try {
            for (String name : others) {
                assertThat(admin().patch("/api/v1/admin-users/" + name, "{\"enabled\":false}").status()).isEqualTo(200);
            }
            Api.Response demoted = admin().patch("/api/v1/admin-users/admin", "{\"role\":\"operator\"}");
            assertThat(demoted.status()).isEqualTo(409);
            assertThat(demoted.body()).contains("at least one enabled administrator");
            assertThat(admin().patch("/api/v1/admin-users/admin", "{\"enabled\":false}").status()).isEqualTo(409);
            assertThat(admin().delete("/api/v1/admin-users/admin").status()).isEqualTo(409);
            assertThat(admin().get("/api/v1/admin-users/admin").json().get("role").asString()).isEqualTo("ADMIN");
        } finally {
            for (String name : others) {
                admin().patch("/api/v1/admin-users/" + name, "{\"enabled\":true}");
            }
        }
    }

    @Test
    void repeatedWrongPasswordsShouldLockTheUserOutFromThatAddress() throws Exception {
        String victim = uniqueUser("locked");
        assertThat(admin().post("/api/v1/admin-users", "{\"username\":\"" + victim
                + "\",\"password\":\"the-right-password\",\"role\":\"admin\"}").status()).isEqualTo(201);
        Console console = new Console();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> wrong = console.login(victim, "wrong-password-" + i);
            assertThat(wrong.headers().firstValue("Location")).hasValueSatisfying(l ->
                    assertThat(l).endsWith("/login?error"));
        }
        // now even the right password is refused, on the console and on the API
        HttpResponse<String> locked = console.login(victim, "the-right-password");
        assertThat(locked.statusCode()).isEqualTo(302);
        assertThat(locked.headers().firstValue("Location")).hasValueSatisfying(l ->
                assertThat(l).contains("/login?locked="));
        Api.Response api = new Api(httpPort, victim, "the-right-password").get("/api/v1/accounts");
        assertThat(api.status()).isEqualTo(429);
        // other users from the same address are not locked out
        assertThat(admin().get("/api/v1/accounts").status()).isEqualTo(200);
    }
}
