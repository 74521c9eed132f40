package io.ferry.app.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Administrators ({@code ferry.admin.*}).
 *
 * @param password         password of the {@code admin} user created on first start ({@code FERRY_ADMIN_PASSWORD});
 *                         when empty a random one is generated, logged once and written to
 *                         {@code <ferry.data-dir>/initial-admin-password}. Ignored once the admin user exists.
 * @param loginMaxFailures failed web-console or API logins from one address within {@code loginLockout} after which
 *                         that address may not log in until the lockout has passed; 0 or less: no limit
 * @param loginLockout     the window the failures are counted in, and how long the address is then locked out
 * @param loginMaxFailuresPerAddress failed logins from one address (an IPv6 /64), whatever user names they tried,
 *                         within {@code loginLockout} after which no login from it is checked until the lockout has
 *                         passed; 0 or less: no limit
 */
@ConfigurationProperties("ferry.admin")
public record AdminProperties(String password, @DefaultValue("5") int loginMaxFailures,
        @DefaultValue("15m") Duration loginLockout, @DefaultValue("20") int loginMaxFailuresPerAddress) {
}
