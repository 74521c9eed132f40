package io.ferry.app.config;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Set;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import io.ferry.common.LogText;

/**
 * What a request that changes something through the REST API must be, before anyone looks at its credentials: not
 * sent by a browser on another site's behalf ({@code Sec-Fetch-Site}, {@code Origin}), and with a body only of the
 * types the API reads (JSON, XML, multipart; {@code 415} otherwise: a page can send {@code text/plain} or a form
 * across sites without asking, JSON it cannot). The API has no CSRF token, being stateless, and browsers cache HTTP
 * Basic credentials; scripts and {@code curl} send neither header and are not affected.
 */
final class ApiRequestGuard extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(ApiRequestGuard.class);
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");
    private static final Set<String> BODY_TYPES = Set.of("application/json", "application/xml", "text/xml",
            "multipart/form-data");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (SAFE_METHODS.contains(request.getMethod())) {
            chain.doFilter(request, response);
            return;
        }
        String crossSite = crossSite(request);
        if (crossSite != null) {
            log.warn("{} {} from {} refused: {}", request.getMethod(), LogText.escaped(request.getRequestURI()),
                    request.getRemoteAddr(), crossSite);
            response.sendError(HttpStatus.FORBIDDEN.value(), "cross-site requests cannot change anything: " + crossSite);
            return;
        }
        if (hasBody(request) && !BODY_TYPES.contains(mediaType(request.getContentType()))) {
            response.sendError(HttpStatus.UNSUPPORTED_MEDIA_TYPE.value(),
                    "a request body must be application/json, application/xml or multipart/form-data");
            return;
        }
        chain.doFilter(request, response);
    }

    /** Why the request comes from another site's page, or null when it does not. */
    private static String crossSite(HttpServletRequest request) {
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if (fetchSite != null) {
            // a browser's own word, behind any proxy: only the server's own pages (or the user typing) may change
            return fetchSite.equals("same-origin") || fetchSite.equals("none") ? null
                    : "Sec-Fetch-Site is " + LogText.quoted(fetchSite);
        }
        // a browser too old to say Sec-Fetch-Site still says where a cross-origin request comes from
        String origin = request.getHeader("Origin");
        if (origin != null && !sameOrigin(origin, request)) {
            return "Origin " + LogText.quoted(origin) + " is not this server";
        }
        return null;
    }

    private static boolean sameOrigin(String origin, HttpServletRequest request) {
        try {
            URI uri = URI.create(origin.trim());
            int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return uri.getHost() != null && uri.getScheme() != null
                    && uri.getScheme().equalsIgnoreCase(request.getScheme())
                    && uri.getHost().equalsIgnoreCase(request.getServerName()) && port == request.getServerPort();
        } catch (IllegalArgumentException e) {
            return false; // "null" and whatever else is not a URL
        }
    }

    private static boolean hasBody(HttpServletRequest request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }
}
