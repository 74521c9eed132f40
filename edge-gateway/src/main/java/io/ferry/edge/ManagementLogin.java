package io.ferry.edge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.Principal;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The edge's one management login: a request that carries {@code Authorization: Bearer <ferry.edge.management-token>}
 * is an authenticated operator, so the health endpoint shows it its details (the nodes, their state, the door's
 * bans). Everyone else sees the status alone. The edge has no users of its own; with no token configured nobody
 * sees details.
 */
final class ManagementLogin extends OncePerRequestFilter {

    private static final String PREFIX = "Bearer ";
    private final byte[] token;

    ManagementLogin(String token) {
        this.token = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String authorization = request.getHeader("Authorization");
        if (token != null && authorization != null && authorization.startsWith(PREFIX)
                && MessageDigest.isEqual(token, authorization.substring(PREFIX.length()).trim()
                        .getBytes(StandardCharsets.UTF_8))) {
            chain.doFilter(new HttpServletRequestWrapper(request) {
                @Override
                public Principal getUserPrincipal() {
                    return () -> "operator";
                }

                @Override
                public boolean isUserInRole(String role) {
                    return true;
                }
            }, response);
            return;
        }
        chain.doFilter(request, response);
    }
}
