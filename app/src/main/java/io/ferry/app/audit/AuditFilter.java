package io.ferry.app.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.core.annotation.Order;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.FlashMap;
import org.springframework.web.servlet.support.RequestContextUtils;
import org.springframework.web.util.ContentCachingRequestWrapper;
import org.springframework.web.util.ContentCachingResponseWrapper;

import io.ferry.app.cluster.ClusterOverview;
import io.ferry.common.SecretText;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes an audit row for every change an authenticated administrator asks for: any method but GET, HEAD and
 * OPTIONS, on the REST API or the console (logins and logouts are not changes). Runs inside the security chain, so
 * refused requests (401, 403, 429) never reach it; a change refused by the application (400, 404, 409) is recorded
 * with its refusal. For an API change of one resource, the resource as a GET answers it just before is kept as
 * "before"; the API's answer is "after".
 */
@Component
@Order(SecurityFilterProperties.DEFAULT_FILTER_ORDER + 1)
class AuditFilter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(AuditFilter.class);
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    private static final Pattern SECRET = Pattern.compile(
            "(?i).*(password|secret|privatekey|passphrase|_csrf|token|armored).*"); // armored: an OpenPGP key
    /** API paths whose GET shows the one resource a change of the same path changes. */
    private static final Pattern ONE_RESOURCE = Pattern.compile("/api/v1/[a-z-]+/[^/]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog audit;
    private final ClusterOverview cluster;

    AuditFilter(AuditLog audit, ClusterOverview cluster) {
        this.audit = audit;
        this.cluster = cluster;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getServletPath();
        return READS.contains(request.getMethod()) || path.equals("/login") || path.equals("/logout");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Authentication who = SecurityContextHolder.getContext().getAuthentication();
        if (who == null || !who.isAuthenticated() || "anonymousUser".equals(who.getName())) {
            chain.doFilter(request, response);
            return;
        }
        String path = request.getServletPath();
        boolean api = path.startsWith("/api/");
        String before = api && !"POST".equals(request.getMethod()) && ONE_RESOURCE.matcher(path).matches()
                ? current(request, response) : null;
        ContentCachingRequestWrapper body = new ContentCachingRequestWrapper(request, 1 << 20);
        ContentCachingResponseWrapper answer = new ContentCachingResponseWrapper(response);
        try {
            chain.doFilter(body, answer);
        } finally {
            try {
                String after = null;
                String outcome = null;
                if (api) {
                    String answered = new String(answer.getContentAsByteArray(), StandardCharsets.UTF_8);
                    if (answer.getStatus() < 400) {
                        after = answered.isEmpty() ? null : redactJson(answered);
                    } else {
                        outcome = detail(answered);
                    }
                } else {
                    FlashMap flash = RequestContextUtils.getOutputFlashMap(request);
                    Object message = flash.containsKey("error") ? flash.get("error") : flash.get("notice");
                    outcome = message == null ? null
                            : SecretText.redacted((flash.containsKey("error") ? "refused: " : "") + message);
                }
                audit.record(new AuditLog.Entry(0, Instant.now(), who.getName(), request.getRemoteAddr(),
                        cluster.nodeId(), api ? "api" : "console", request.getMethod(), target(request),
                        answer.getStatus(), outcome, requested(body, api), before, after));
            } catch (RuntimeException e) {
                log.error("Could not write the audit row of {} {} by {}", request.getMethod(), path, who.getName(), e);
            } finally {
                answer.copyBodyToResponse();
            }
        }
    }

    /** The resource as a GET of the same path answers it now, secrets removed; null if there is none. */
    private String current(HttpServletRequest request, HttpServletResponse response) {
        try {
            Capture capture = new Capture(response);
            request.getRequestDispatcher(request.getServletPath()).include(new AsGet(request), capture);
            String json = capture.body();
            JsonNode node = json.isBlank() ? null : JSON.readTree(json);
            return node == null || !node.isObject() || (node.has("status") && node.has("detail")) ? null
                    : redact(node).toString();
        } catch (Exception e) {
            log.debug("No 'before' for {}: {}", request.getServletPath(), e.toString());
            return null;
        }
    }

    private static String target(HttpServletRequest request) {
        String query = request.getQueryString();
        return request.getServletPath() + (query == null ? "" : "?" + query);
    }

    private static String requested(ContentCachingRequestWrapper body, boolean api) {
        if (!api || body.getContentType() != null && body.getContentType().startsWith("application/x-www-form")) {
            Map<String, String> form = new TreeMap<>();
            body.getParameterMap().forEach((name, values) -> form.put(name,
                    SECRET.matcher(name).matches() ? "***" : SecretText.redacted(String.join(",", values))));
            return form.isEmpty() ? null : JSON.writeValueAsString(form);
        }
        String raw = new String(body.getContentAsByteArray(), StandardCharsets.UTF_8);
        return raw.isBlank() ? null : redactJson(raw);
    }

    private static String detail(String problem) {
        try {
            JsonNode node = JSON.readTree(problem);
            return SecretText.redacted(node.has("detail") ? node.get("detail").asString() : problem);
        } catch (RuntimeException e) {
            return SecretText.redacted(problem);
        }
    }

    private static String redactJson(String json) {
        try {
            return redact(JSON.readTree(json)).toString();
        } catch (RuntimeException e) {
            return "(not JSON, " + json.length() + " characters)";
        }
    }

    /**
     * Replaces, at any depth, the values of fields whose names say they hold a secret, and the secrets that text
     * values hold whatever their field's name (a PEM private key under {@code key}, an {@code otpauth://} URI).
     */
    private static JsonNode redact(JsonNode node) {
        if (node instanceof ObjectNode object) {
            for (String name : object.propertyNames()) {
                JsonNode value = object.get(name);
                if (SECRET.matcher(name).matches() && !value.isNull()) {
                    object.put(name, SecretText.REDACTED);
                } else if (value.isString()) {
                    object.put(name, SecretText.redacted(value.asString()));
                } else {
                    redact(value);
                }
            }
        } else if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                if (array.get(i).isString()) {
                    array.set(i, SecretText.redacted(array.get(i).asString()));
                } else {
                    redact(array.get(i));
                }
            }
        }
        return node;
    }

    /** The same request as a GET without a body. */
    private static final class AsGet extends HttpServletRequestWrapper {
        AsGet(HttpServletRequest request) {
            super(request);
        }

        @Override
        public String getMethod() {
            return "GET";
        }

        @Override
        public int getContentLength() {
            return 0;
        }
    }

    /** Keeps what an included request writes. */
    private static final class Capture extends HttpServletResponseWrapper {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final PrintWriter writer = new PrintWriter(bytes, true, StandardCharsets.UTF_8);

        Capture(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() {
            return new ServletOutputStream() {
                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    // writes never block
                }

                @Override
                public void write(int b) {
                    bytes.write(b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    bytes.write(b, off, len);
                }
            };
        }

        @Override
        public PrintWriter getWriter() {
            return writer;
        }

        String body() {
            writer.flush();
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
