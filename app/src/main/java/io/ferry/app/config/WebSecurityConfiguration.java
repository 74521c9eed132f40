package io.ferry.app.config;

import jakarta.servlet.DispatcherType;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.authentication.www.BasicAuthenticationEntryPoint;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;

import io.ferry.app.admin.AdminLoginLimiter;
import io.ferry.app.admin.ApiTokens;

/**
 * HTTP security, two chains:
 * <ul>
 * <li>the REST API and actuator: HTTP Basic or an API token ({@link ApiTokenFilter}), stateless (so no CSRF token: {@link ApiRequestGuard} refuses cross-site
 * changes and bodies of other types than JSON, XML and multipart, and browsers get no Basic challenge); reading
 * needs {@code ADMIN} or {@code OPERATOR}, changing needs {@code ADMIN}; health is public for load balancers;</li>
 * <li>the web console, the OpenAPI description ({@code /v3/api-docs}) and its browsable UI ({@code /swagger-ui}):
 * form login with a session (timeout {@code server.servlet.session.timeout}; HTTP Basic too, for scripts), CSRF tokens
 * on every form, a strict content security policy; {@code OPERATOR} sees every page and changes nothing.</li>
 * </ul>
 * Failed logins of either kind, and unknown API tokens, count towards {@link AdminLoginLimiter}'s lockout.
 */
@Configuration(proxyBeanMethods = false)
class WebSecurityConfiguration {

    private static final String ADMIN = "ADMIN";
    private static final String OPERATOR = "OPERATOR";
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; "
            + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            + "frame-ancestors 'none'";

    @Bean
    @Order(1)
    SecurityFilterChain apiSecurity(HttpSecurity http, ApiTokens tokens, AdminLoginLimiter limiter) throws Exception {
        http.securityMatcher("/api/**", "/actuator/**")
                .authorizeHttpRequests(auth -> auth
                        .requestMatchers("/actuator/health", "/actuator/health/**").permitAll()
                        .requestMatchers(HttpMethod.GET, "/api/**", "/actuator/**").hasAnyRole(ADMIN, OPERATOR)
                        .requestMatchers(HttpMethod.HEAD, "/api/**", "/actuator/**").hasAnyRole(ADMIN, OPERATOR)
                        // one's own second factor, whatever the role
                        .requestMatchers("/api/v1/me/**").hasAnyRole(ADMIN, OPERATOR)
                        .anyRequest().hasRole(ADMIN))
                .httpBasic(basic -> basic.authenticationEntryPoint(apiEntryPoint()))
                // stateless, so no CSRF token: cross-site requests and body types only JSON, XML or multipart
                // (ApiRequestGuard), and no Basic challenge that a browser would answer and then remember
                .csrf(csrf -> csrf.disable())
                .addFilterBefore(new ApiRequestGuard(), BasicAuthenticationFilter.class)
                // scripts and Prometheus: an API token instead of a password (no Argon2id per request)
                .addFilterAfter(new ApiTokenFilter(tokens, limiter), ApiRequestGuard.class)
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .exceptionHandling(e -> e.accessDeniedHandler((request, response, denied) ->
                        response.sendError(HttpStatus.FORBIDDEN.value(), "administrator role required")));
        return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain consoleSecurity(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(auth -> auth
                        .dispatcherTypeMatchers(DispatcherType.FORWARD, DispatcherType.ERROR).permitAll()
                        .requestMatchers("/login", "/css/**", "/js/**", "/favicon.svg", "/error").permitAll()
                        .requestMatchers(HttpMethod.GET, "/**").hasAnyRole(ADMIN, OPERATOR)
                        .requestMatchers("/profile/**").hasAnyRole(ADMIN, OPERATOR)
                        .anyRequest().hasRole(ADMIN))
                .formLogin(form -> form.loginPage("/login").defaultSuccessUrl("/", false).permitAll()
                        .authenticationDetailsSource(io.ferry.app.admin.AdminAuthenticationProvider.Details::new))
                // scripts fetch the OpenAPI description (/v3/api-docs) with Basic credentials as well as a session
                .httpBasic(basic -> basic.authenticationEntryPoint(basicEntryPoint()))
                .logout(logout -> logout.logoutUrl("/logout").logoutSuccessUrl("/login?logout"))
                .sessionManagement(s -> s.sessionFixation(f -> f.changeSessionId()))
                .exceptionHandling(e -> e.accessDeniedPage("/denied").authenticationEntryPoint(consoleEntryPoint()))
                .headers(headers -> headers
                        .contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
                        .frameOptions(frame -> frame.deny())
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.SAME_ORIGIN)));
        return http.build();
    }

    /** Pages send a browser to the login form; the OpenAPI description, read by scripts, answers 401 for Basic. */
    private static AuthenticationEntryPoint consoleEntryPoint() {
        AuthenticationEntryPoint basic = basicEntryPoint();
        AuthenticationEntryPoint form = new LoginUrlAuthenticationEntryPoint("/login");
        return (request, response, e) -> (request.getServletPath().startsWith("/v3/api-docs") ? basic : form)
                .commence(request, response, e);
    }

    /**
     * The API's 401: a Basic challenge for scripts, none for a browser (it says {@code Sec-Fetch-Mode}), which
     * would prompt for the credentials and then send them along with every request any page makes to the API.
     */
    private static AuthenticationEntryPoint apiEntryPoint() {
        AuthenticationEntryPoint basic = basicEntryPoint();
        return (request, response, e) -> {
            if (request.getHeader("Sec-Fetch-Mode") == null) {
                basic.commence(request, response, e);
            } else {
                response.sendError(HttpStatus.UNAUTHORIZED.value(), "log in to the console, or call the API from a "
                        + "script with its credentials");
            }
        };
    }

    /** 401 with a Basic challenge, so curl knows to send credentials. */
    private static BasicAuthenticationEntryPoint basicEntryPoint() {
        BasicAuthenticationEntryPoint entryPoint = new BasicAuthenticationEntryPoint();
        entryPoint.setRealmName("Ferry");
        return entryPoint;
    }
}
