package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/**
 * The optional TOTP second factor on the real node: set up through the API, then the API (password followed by
 * the code) and the console's login form (its code field) ask for it, a code works once, and an ADMIN can reset it.
 */
class TotpIT extends NodeIT {

    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    @Test
    void aUserWithASecondFactorShouldNeedTheCodeOnTheApiAndTheLoginForm() throws Exception {
        String name = uniqueUser("totp");
        String password = "totp-admin-password-1";
        assertThat(admin().post("/api/v1/admin-users", "{\"username\":\"" + name + "\",\"password\":\"" + password
                + "\",\"role\":\"OPERATOR\"}").status()).isEqualTo(201);
        Api self = new Api(httpPort, name, password);
        assertThat(self.get("/api/v1/me/totp").json().get("enabled").asBoolean()).isFalse();
        JsonNode setup = self.post("/api/v1/me/totp/setup", "").json();
        String secret = setup.get("secret").asString();
        assertThat(setup.get("uri").asString()).startsWith("otpauth://totp/Ferry:" + name + "?secret=" + secret);
        assertThat(self.put("/api/v1/me/totp", "{\"secret\":\"" + secret + "\",\"code\":\"000000\"}").status())
                .as("a wrong code turns nothing on").isIn(400);
        long step = Instant.now().getEpochSecond() / 30;
        assertThat(self.put("/api/v1/me/totp", "{\"secret\":\"" + secret + "\",\"code\":\"" + code(secret, step)
                + "\"}").status()).isEqualTo(200);

        assertThat(self.get("/api/v1/me/totp").status()).as("the password alone no longer").isEqualTo(401);
        // the enabling code was used up; the next step's code works once (one step of drift is allowed)
        String next = code(secret, step + 1);
        Api withCode = new Api(httpPort, name, password + next);
        assertThat(withCode.get("/api/v1/me/totp").json().get("enabled").asBoolean()).isTrue();
        assertThat(withCode.get("/api/v1/me/totp").status()).as("a code is good once").isEqualTo(401);

        // the login form: without a code back to the form, with a wrong one too
        assertThat(formLogin(name, password, null)).endsWith("/login?error");
        assertThat(formLogin(name, password, "123456")).endsWith("/login?error");

        // an ADMIN resets it (a lost phone): the password alone works again, on the form too
        assertThat(admin().delete("/api/v1/admin-users/" + name + "/totp").status()).isEqualTo(204);
        assertThat(self.get("/api/v1/me/totp").json().get("enabled").asBoolean()).isFalse();
        assertThat(formLogin(name, password, null)).doesNotContain("/login");
    }

    /** Posts the console's login form; answers where it redirects to. */
    private String formLogin(String user, String password, String code) throws Exception {
        HttpClient client = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        String page = client.send(HttpRequest.newBuilder(uri("/login")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher token = CSRF.matcher(page);
        assertThat(token.find()).isTrue();
        Map<String, String> form = new java.util.LinkedHashMap<>(Map.of("username", user, "password", password,
                "_csrf", token.group(1)));
        if (code != null) {
            form.put("code", code);
        }
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(),
                StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(302);
        return response.headers().firstValue("Location").orElseThrow();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    /** RFC 6238 (HMAC-SHA1, 6 digits), computed here independently of the server's code. */
    static String code(String base32, long step) throws Exception {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        java.io.ByteArrayOutputStream key = new java.io.ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (char c : base32.toCharArray()) {
            buffer = (buffer << 5) | alphabet.indexOf(c);
            bits += 5;
            if (bits >= 8) {
                key.write((buffer >> (bits - 8)) & 0xFF);
                bits -= 8;
            }
        }
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA1");
        mac.init(new javax.crypto.spec.SecretKeySpec(key.toByteArray(), "HmacSHA1"));
        byte[] hash = mac.doFinal(java.nio.ByteBuffer.allocate(8).putLong(step).array());
        int offset = hash[19] & 0x0F;
        int value = ((hash[offset] & 0x7F) << 24) | ((hash[offset + 1] & 0xFF) << 16) | ((hash[offset + 2] & 0xFF) << 8)
                | (hash[offset + 3] & 0xFF);
        return String.format("%06d", value % 1_000_000);
    }
}
