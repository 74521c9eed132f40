package io.ferry.app.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The first administrator ({@code ferry.admin.*}).
 *
 * @param password password of the {@code admin} user created on first start ({@code FERRY_ADMIN_PASSWORD}); when
 *                 empty a random one is generated, logged once and written to
 *                 {@code <ferry.data-dir>/initial-admin-password}. Ignored once the admin user exists.
 */
@ConfigurationProperties("ferry.admin")
public record AdminProperties(String password) {
}
