package io.ferry.app.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Secrets of the node ({@code ferry.security.*}).
 *
 * @param masterKey     base64 of 32 random bytes; seals the secrets stored in the database. Takes precedence over
 *                      the key file. Every node of a cluster needs the same key.
 * @param masterKeyFile file holding the master key; created with a random key on first start if missing; empty means
 *                      {@code <ferry.data-dir>/master.key}
 */
@ConfigurationProperties("ferry.security")
public record SecurityProperties(String masterKey, Path masterKeyFile) {
}
