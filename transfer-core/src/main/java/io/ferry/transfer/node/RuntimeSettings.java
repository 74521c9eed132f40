package io.ferry.transfer.node;

import java.net.URI;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The settings an administrator may change while the cluster runs, with the values this node applies now: the
 * configured value unless the database holds another (see the settings API). Readers call the getters at the moment
 * they need a value, so a change applies to the next login, event or transfer.
 */
public final class RuntimeSettings {

    /** One changeable setting: its configured default, what it means, and how a value is checked. */
    public record Definition(String name, String defaultValue, String description, Function<String, String> check) {
    }

    public static final String WEBHOOK_URL = "cluster.webhook-url";
    public static final String FTPS_MAX_LOGINS_PER_ACCOUNT = "ftps.max-logins-per-account";

    private final Map<String, Definition> definitions;
    private final Map<String, String> overrides = new ConcurrentHashMap<>();
    private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    public RuntimeSettings(String webhookUrl, int ftpsMaxLoginsPerAccount) {
        this(webhookUrl, ftpsMaxLoginsPerAccount, java.util.List.of());
    }

    /** With more settings that other parts of the node define (the SFTP algorithm lists, say). */
    public RuntimeSettings(String webhookUrl, int ftpsMaxLoginsPerAccount, java.util.List<Definition> more) {
        Map<String, Definition> d = new LinkedHashMap<>();
        d.put(WEBHOOK_URL, new Definition(WEBHOOK_URL, webhookUrl,
                "where role changes and lost members are POSTed as JSON; empty: nowhere", RuntimeSettings::url));
        d.put(FTPS_MAX_LOGINS_PER_ACCOUNT, new Definition(FTPS_MAX_LOGINS_PER_ACCOUNT,
                String.valueOf(ftpsMaxLoginsPerAccount), "FTPS sessions one account may have at once, per node",
                positive(FTPS_MAX_LOGINS_PER_ACCOUNT)));
        more.forEach(m -> d.put(m.name(), m));
        this.definitions = Collections.unmodifiableMap(d);
    }

    public Map<String, Definition> definitions() {
        return definitions;
    }

    /** The checked value, or an IllegalArgumentException that says what is wrong. */
    public String check(String name, String value) {
        Definition definition = definitions.get(name);
        if (definition == null) {
            throw new IllegalArgumentException("no setting '" + name + "' can be changed at runtime; these can: "
                    + definitions.keySet());
        }
        if (value == null) {
            throw new IllegalArgumentException(name + ": a value is needed");
        }
        return definition.check().apply(value.trim());
    }

    /** Replaces the values from the database (names it does not know are ignored), then tells the listeners. */
    public void reload(Map<String, String> stored) {
        overrides.keySet().retainAll(stored.keySet());
        stored.forEach((name, value) -> {
            if (definitions.containsKey(name)) {
                overrides.put(name, value);
            }
        });
        listeners.forEach(Runnable::run);
    }

    /** Told after every reload: for settings that something must apply, not only read when it needs them. */
    public void onReload(Runnable listener) {
        listeners.add(listener);
    }

    public String value(String name) {
        String value = overrides.get(name);
        return value != null ? value : definitions.get(name).defaultValue();
    }

    public String webhookUrl() {
        return value(WEBHOOK_URL);
    }

    public int ftpsMaxLoginsPerAccount() {
        return Integer.parseInt(value(FTPS_MAX_LOGINS_PER_ACCOUNT));
    }

    private static String url(String value) {
        if (value.isEmpty()) {
            return value;
        }
        try {
            URI uri = URI.create(value);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException(WEBHOOK_URL + " must be an http(s) URL or empty, not " + value);
            }
            return value;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(WEBHOOK_URL + " must be an http(s) URL or empty: " + e.getMessage());
        }
    }

    /** A check for a whole number of at least 1, its refusal naming the setting. */
    public static Function<String, String> positive(String name) {
        return value -> {
            try {
                if (Integer.parseInt(value) >= 1) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(name + " must be a whole number of at least 1, not " + value);
        };
    }
}
