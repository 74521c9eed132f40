package io.ferry.app.config;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import io.ferry.app.admin.AdminLoginLimiter;
import io.ferry.app.admin.ApiTokens;

/**
 * {@code Authorization: Bearer <token>} on the REST API and the actuator: an active token ({@link ApiTokens}) makes
 * the request its scope's role, named {@code token:<name>} (as the audit log shows it); any other bearer value is
 * refused with 401 and counted as a failed login of the address ({@link AdminLoginLimiter}, which turns a locked-out
 * address away before this filter looks anything up). No password is hashed for it.
 */
final class ApiTokenFilter extends OncePerRequestFilter {

    private static final String BEARER = "Bearer ";
    private final ApiTokens tokens;
    private final AdminLoginLimiter limiter;

    ApiTokenFilter(ApiTokens tokens, AdminLoginLimiter limiter) {
        this.tokens = tokens;
        this.limiter = limiter;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            chain.doFilter(request, response);
            return;
        }
        Optional<ApiTokens.Token> token = tokens.authenticate(header.substring(BEARER.length()).trim());
        if (token.isEmpty()) {
            limiter.failedToken(request.getRemoteAddr());
            response.sendError(HttpStatus.UNAUTHORIZED.value(), "the API token is unknown, expired or revoked");
            return;
        }
        SecurityContext context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("token:" + token.get().name(), null,
                List.of(new SimpleGrantedAuthority("ROLE_" + ApiTokens.role(token.get()).name()))));
        SecurityContextHolder.setContext(context);
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
