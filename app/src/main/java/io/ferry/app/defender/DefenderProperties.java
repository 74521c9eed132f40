package io.ferry.app.defender;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The cluster-wide defender ({@code ferry.defender.*}).
 *
 * @param enabled     count failed logins and ban
 * @param maxFailures failed password logins from one address within {@code window} that ban it
 * @param window      the window failed logins are counted in (fixed windows)
 * @param banTime     how long an automatic ban lasts
 * @param allowList   addresses never counted or banned
 */
@ConfigurationProperties("ferry.defender")
public record DefenderProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("10") int maxFailures,
        @DefaultValue("5m") Duration window,
        @DefaultValue("15m") Duration banTime,
        @DefaultValue List<String> allowList) {

    public DefenderProperties {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("ferry.defender.max-failures must be at least 1");
        }
        allowList = List.copyOf(allowList);
    }
}
