package io.ferry.transfer.notify;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.transfer.node.RuntimeSettings;
import tools.jackson.databind.ObjectMapper;

/**
 * The one place that POSTs Ferry's events as JSON to the runtime setting {@code cluster.webhook-url}: cluster role
 * changes and notifications alike. Asynchronous and best effort: a receiver that is down or slow costs the caller
 * nothing, and a refusal is logged (the URL is an administrator's setting, not a secret, but may hold a token in its
 * query, so only its scheme, host and path are logged).
 */
public final class Webhook {

    private static final Logger log = LoggerFactory.getLogger(Webhook.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RuntimeSettings settings;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public Webhook(RuntimeSettings settings) {
        this.settings = settings;
    }

    /** Whether a webhook URL is set. */
    public boolean configured() {
        return !settings.webhookUrl().isBlank();
    }

    /**
     * Sends {@code body} as a JSON object, if a URL is set; never throws.
     *
     * @param what names the event in the log when the receiver refuses it
     */
    public void post(String what, Map<String, Object> body) {
        String url = settings.webhookUrl();
        if (url.isBlank()) {
            return;
        }
        try {
            URI target = URI.create(url);
            HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                if (failure != null || response.statusCode() >= 300) {
                    log.warn("Webhook {} refused {}: {}", shown(target), LogText.escaped(what),
                            failure != null ? LogText.escaped(failure.toString()) : "HTTP " + response.statusCode());
                }
            });
        } catch (IllegalArgumentException e) {
            log.warn("cluster.webhook-url is not a valid URL: {}", LogText.escaped(e.getMessage()));
        }
    }

    private static String shown(URI target) {
        // scheme and host only: chat services' webhooks carry their secret in the path
        return LogText.escaped(target.getScheme() + "://" + target.getHost()
                + (target.getPort() < 0 ? "" : ":" + target.getPort()));
    }
}
