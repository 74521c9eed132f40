package io.ferry.app.admin;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

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

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.ferry.app.config.AdminProperties;
import io.ferry.common.ClientAddresses;
import io.ferry.common.LogText;

/**
 * Slows down password guessing against the administrators, before any password is hashed: after
 * {@code ferry.admin.login-max-failures} failed logins for one user name from one address within
 * {@code ferry.admin.login-lockout}, that address's logins as that user (the login form, HTTP Basic) are refused until
 * the lockout has passed, right password or wrong; and after {@code ferry.admin.login-max-failures-per-address}
 * failed logins from one address (an IPv6 /64) whatever the names, all its logins are, so made-up names buy no more
 * guesses. Counted per node, in memory bounded by the addresses seen within the window; a successful login clears
 * its user's count, not the address's.
 */
@Component
@Order(org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties.DEFAULT_FILTER_ORDER - 1)
public class AdminLoginLimiter extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(AdminLoginLimiter.class);

    /** Addresses and names tracked at once; past it the oldest are forgotten first (a flood of names cannot grow it). */
    private static final int MAX_TRACKED = 100_000;

    private final int maxFailures;
    private final int maxFailuresPerAddress;
    private final Duration window;
    private final Clock clock;
    private final Cache<String, Deque<Instant>> failures;
    private final Cache<String, Deque<Instant>> addressFailures;

    @Autowired
    AdminLoginLimiter(AdminProperties properties) {
        this(properties.loginMaxFailures(), properties.loginMaxFailuresPerAddress(), properties.loginLockout(),
                Clock.systemUTC());
    }

    AdminLoginLimiter(int maxFailures, int maxFailuresPerAddress, Duration window, Clock clock) {
        this.maxFailures = maxFailures;
        this.maxFailuresPerAddress = maxFailuresPerAddress;
        this.window = window;
        this.clock = clock;
        this.failures = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterAccess(window).build();
        this.addressFailures = Caffeine.newBuilder().maximumSize(MAX_TRACKED).expireAfterAccess(window).build();
    }

    /** Until when this address may not log in as this user, if it is locked out now. */
    public Optional<Instant> lockedUntil(String address, String username) {
        if (address == null) {
            return Optional.empty();
        }
        Optional<Instant> byAddress = lockedUntil(addressFailures.getIfPresent(ClientAddresses.group(address)),
                maxFailuresPerAddress);
        return byAddress.isPresent() ? byAddress : lockedUntil(failures.getIfPresent(key(address, username)),
                maxFailures);
    }

    private Optional<Instant> lockedUntil(Deque<Instant> times, int max) {
        if (max <= 0 || times == null) {
            return Optional.empty();
        }
        synchronized (times) {
            prune(times);
            return times.size() >= max ? Optional.of(times.peekLast().plus(window)) : Optional.empty();
        }
    }

    void failed(String address, String username) {
        if (address == null) {
            return;
        }
        if (count(failures, key(address, username), maxFailures) == maxFailures) {
            log.warn("Administrator logins as {} from {} locked out for {} after {} failures", LogText.quoted(username),
                    address, window, maxFailures);
        }
        String group = ClientAddresses.group(address);
        if (count(addressFailures, group, maxFailuresPerAddress) == maxFailuresPerAddress) {
            log.warn("Administrator logins from {} locked out for {} after {} failures, whatever the user names",
                    group, window, maxFailuresPerAddress);
        }
    }

    /** Counts a failure under {@code key}; how many there are in the window now (0 when there is no limit). */
    private int count(Cache<String, Deque<Instant>> counts, String key, int max) {
        if (max <= 0) {
            return 0;
        }
        Deque<Instant> times = counts.get(key, k -> new ArrayDeque<>());
        synchronized (times) {
            prune(times);
            times.addLast(clock.instant());
            while (times.size() > max) {
                times.removeFirst(); // the lockout needs only the last max of them
            }
            return times.size();
        }
    }

    /**
     * Counts a request with an unknown, expired or revoked API token as a failed login of that address: guessing
     * tokens locks the address out as guessing passwords does, before any lookup.
     */
    public void failedToken(String address) {
        failed(address, TOKEN);
    }

    void succeeded(String address, String username) {
        if (address != null) {
            failures.invalidate(key(address, username));
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
        return ClientAddresses.group(address) + " " + (username == null ? "" : username.toLowerCase(Locale.ROOT));
    }

    /** The name unknown API tokens are counted under, as if they were one user's wrong passwords. */
    private static final String TOKEN = "(api token)";

    /** The user name a request tries to log in as: the login form's field, HTTP Basic's, or an API token's. */
    private static String username(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return TOKEN;
        }
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
