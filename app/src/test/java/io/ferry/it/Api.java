package io.ferry.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small REST client over the JDK's HTTP client, with HTTP Basic. */
final class Api {

    record Response(int status, String body) {
        JsonNode json() {
            return MAPPER.readTree(body);
        }
    }

    static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final int port;
    private final String authorization;

    Api(int port, String user, String password) {
        this.port = port;
        this.authorization = user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Response get(String path) {
        return send(builder(path).GET());
    }

    Response post(String path, String json) {
        return send(builder(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** A POST of any body, with extra headers given as name, value, name, value... */
    Response post(String path, String contentType, String body, String... headers) {
        HttpRequest.Builder builder = builder(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return send(builder);
    }

    Response put(String path, String json) {
        return send(builder(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    Response patch(String path, String json) {
        return send(builder(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(json)));
    }

    Response delete(String path) {
        return send(builder(path).DELETE());
    }

    /** Creates an account with a password and the given permissions (all when none), expecting 201. */
    void createAccount(String username, String password, String... permissions) {
        StringBuilder body = new StringBuilder("{\"username\":\"" + username + "\",\"password\":\"" + password + "\"");
        if (permissions.length > 0) {
            body.append(",\"permissions\":[");
            for (int i = 0; i < permissions.length; i++) {
                body.append(i == 0 ? "" : ",").append('"').append(permissions[i]).append('"');
            }
            body.append(']');
        }
        body.append('}');
        Response response = post("/api/v1/accounts", body.toString());
        if (response.status() != 201) {
            throw new IllegalStateException("account creation failed: " + response);
        }
    }

    void addKey(String username, String publicKeyLine) {
        Response response = post("/api/v1/accounts/" + username + "/keys",
                "{\"publicKey\":\"" + publicKeyLine.trim() + "\"}");
        if (response.status() != 201) {
            throw new IllegalStateException("adding a key failed: " + response);
        }
    }

    int port() {
        return port;
    }

    private HttpRequest.Builder builder(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private static Response send(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
