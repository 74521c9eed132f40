package io.ferry.app.admin;

import jakarta.servlet.http.HttpServletRequest;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.dao.DaoAuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.stereotype.Component;

/**
 * Administrators' logins: the password (Spring's DAO check against {@code admin_users}), then, for a user who set
 * up a second factor, the current TOTP code. The console's login form has a field for it; HTTP Basic has none, so
 * there the code follows the password ({@code password123456}).
 */
@Component
public class AdminAuthenticationProvider implements AuthenticationProvider {

    /** The login form's details, with the one-time code when one was typed. */
    public static final class Details extends WebAuthenticationDetails {

        private final String code;

        public Details(HttpServletRequest request) {
            super(request);
            String given = request.getParameter("code");
            this.code = given == null || given.isBlank() ? null : given.replace(" ", "").trim();
        }

        String code() {
            return code;
        }
    }

    private final DaoAuthenticationProvider passwords;
    private final AdminTotp totp;

    AdminAuthenticationProvider(AdminUserDetailsService users, PasswordEncoder encoder, AdminTotp totp) {
        this.passwords = new DaoAuthenticationProvider(users);
        this.passwords.setPasswordEncoder(encoder);
        this.totp = totp;
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String username = authentication.getName();
        String credentials = authentication.getCredentials() == null ? "" : authentication.getCredentials().toString();
        boolean secondFactor = totp.enabled(username);
        String code = authentication.getDetails() instanceof Details d ? d.code() : null;
        if (secondFactor && code == null && credentials.length() > Totp.DIGITS
                && credentials.substring(credentials.length() - Totp.DIGITS).matches("\\d+")) {
            code = credentials.substring(credentials.length() - Totp.DIGITS);
            credentials = credentials.substring(0, credentials.length() - Totp.DIGITS);
        }
        UsernamePasswordAuthenticationToken password = UsernamePasswordAuthenticationToken.unauthenticated(username,
                credentials);
        password.setDetails(authentication.getDetails());
        Authentication result = passwords.authenticate(password);
        if (secondFactor && (code == null || !totp.check(username, code))) {
            throw new BadCredentialsException(code == null ? "a one-time code is needed" : "wrong one-time code");
        }
        return result;
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return UsernamePasswordAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
