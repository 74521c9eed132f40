package io.ferry.app.admin;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.event.EventListener;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.authentication.event.AbstractAuthenticationFailureEvent;
import org.springframework.security.authentication.event.AuthenticationSuccessEvent;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import io.ferry.app.config.AdminProperties;

/**
 * Slows down password guessing against the administrators: after {@code ferry.admin.login-max-failures} failed logins
 * for one user name from one address within {@code ferry.admin.login-lockout}, that address's logins as that user (the
 * login form, HTTP Basic) are refused until the lockout has passed, right password or wrong. Counted per node and per
 * address and user name, so a guesser does not lock the real administrator out from everywhere; a successful login
 * clears the count.
 */
@Component
@Order(org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties.DEFAULT_FILTER_ORDER - 1)
public class AdminLoginLimiter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(AdminLoginLimiter.class);

    private final int maxFailures;
    private final Duration window;
    private final Clock clock;
    private final ConcurrentHashMap<String, Deque<Instant>> failures = new ConcurrentHashMap<>();

    @Autowired
    AdminLoginLimiter(AdminProperties properties) {
        this(properties.loginMaxFailures(), properties.loginLockout(), Clock.systemUTC());
    }

    AdminLoginLimiter(int maxFailures, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.window = window;
        this.clock = clock;
    }

    /** Until when this address may not log in as this user, if it is locked out now. */
    public Optional<Instant> lockedUntil(String address, String username) {
        if (maxFailures <= 0 || address == null) {
            return Optional.empty();
        }
        Deque<Instant> times = failures.get(key(address, username));
        if (times == null) {
            return Optional.empty();
        }
        synchronized (times) {
            prune(times);
            return times.size() >= maxFailures ? Optional.of(times.peekLast().plus(window)) : Optional.empty();
        }
    }

    void failed(String address, String username) {
        if (maxFailures <= 0 || address == null) {
            return;
        }
        Deque<Instant> times = failures.computeIfAbsent(key(address, username), a -> new ArrayDeque<>());
        synchronized (times) {
            prune(times);
            times.addLast(clock.instant());
            if (times.size() == maxFailures) {
                log.warn("Administrator logins as '{}' from {} locked out for {} after {} failures", username,
                        address, window, maxFailures);
            }
        }
    }

    void succeeded(String address, String username) {
        if (address != null) {
            failures.remove(key(address, username));
        }
    }

    @EventListener
    void onFailure(AbstractAuthenticationFailureEvent event) {
        failed(address(event.getAuthentication().getDetails()), event.getAuthentication().getName());
    }

    @EventListener
    void onSuccess(AuthenticationSuccessEvent event) {
        succeeded(address(event.getAuthentication().getDetails()), event.getAuthentication().getName());
    }

    private static String key(String address, String username) {
        return address + " " + (username == null ? "" : username.toLowerCase(java.util.Locale.ROOT));
    }

    /** The user name a request tries to log in as: the login form's field, or HTTP Basic's. */
    private static String username(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(java.util.Base64.getDecoder().decode(header.substring(6).trim()),
                        java.nio.charset.StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon < 0 ? decoded : decoded.substring(0, colon);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        return request.getParameter("username");
    }

    private static String address(Object details) {
        return details instanceof WebAuthenticationDetails web ? web.getRemoteAddress() : null;
    }

    private void prune(Deque<Instant> times) {
        Instant oldest = clock.instant().minus(window);
        while (!times.isEmpty() && times.peekFirst().isBefore(oldest)) {
            times.removeFirst();
        }
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        boolean loginForm = "POST".equals(request.getMethod()) && "/login".equals(request.getServletPath());
        return !loginForm && request.getHeader("Authorization") == null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Optional<Instant> until = lockedUntil(request.getRemoteAddr(), username(request));
        if (until.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        long seconds = Math.max(1, Duration.between(clock.instant(), until.get()).toSeconds());
        response.setHeader("Retry-After", Long.toString(seconds));
        if (request.getHeader("Authorization") != null) {
            response.sendError(HttpStatus.TOO_MANY_REQUESTS.value(),
                    "too many failed logins from this address; try again in " + seconds + " s");
        } else {
            response.sendRedirect(request.getContextPath() + "/login?locked=" + seconds);
        }
    }
}
