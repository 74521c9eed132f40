package io.ferry.app.cluster;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.cluster.ClusterMessage;
import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.node.RuntimeSettings;

/**
 * Runtime settings kept in the database ({@code runtime_settings}): a change through the API is stored, applied on
 * this node, and announced to the cluster, whose nodes read the table again at once (and every 30 s in any case,
 * should an announcement be lost in a partition).
 */
public final class SettingsService implements SmartLifecycle {

    /** A setting as the API shows it. */
    public record SettingView(String name, String value, String defaultValue, boolean changed, String description,
            LocalDateTime updatedAt, String updatedBy) {
    }

    private static final Logger log = LoggerFactory.getLogger(SettingsService.class);

    private final JdbcTemplate jdbc;
    private final RuntimeSettings settings;
    private final ClusterNode node;
    private ScheduledExecutorService refresher;
    private volatile boolean running;

    public SettingsService(JdbcTemplate jdbc, RuntimeSettings settings, ClusterNode node) {
        this.jdbc = jdbc;
        this.settings = settings;
        this.node = node;
    }

    public List<SettingView> list() {
        Map<String, Map<String, Object>> stored = new HashMap<>();
        jdbc.queryForList("SELECT name, setting_value, updated_at, updated_by FROM runtime_settings")
                .forEach(row -> stored.put((String) row.get("name"), row));
        List<SettingView> views = new ArrayList<>();
        settings.definitions().values().forEach(d -> {
            Map<String, Object> row = stored.get(d.name());
            views.add(new SettingView(d.name(), row == null ? d.defaultValue() : (String) row.get("setting_value"),
                    d.defaultValue(), row != null, d.description(),
                    row == null ? null : toLocal(row.get("updated_at")), row == null ? null : (String) row.get("updated_by")));
        });
        return views;
    }

    /** Stores a new value (checked first), applies it here and tells every node. */
    public SettingView set(String name, String value, String by) {
        String checked = settings.check(name, value);
        LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
        int updated = jdbc.update("UPDATE runtime_settings SET setting_value = ?, updated_at = ?, updated_by = ? "
                + "WHERE name = ?", checked, now, by, name);
        if (updated == 0) {
            try {
                jdbc.update("INSERT INTO runtime_settings (name, setting_value, updated_at, updated_by) "
                        + "VALUES (?, ?, ?, ?)", name, checked, now, by);
            } catch (DuplicateKeyException e) {
                jdbc.update("UPDATE runtime_settings SET setting_value = ?, updated_at = ?, updated_by = ? "
                        + "WHERE name = ?", checked, now, by, name);
            }
        }
        changed(name, by);
        return view(name);
    }

    /** Back to the configured value on every node. */
    public SettingView reset(String name, String by) {
        if (!settings.definitions().containsKey(name)) {
            throw new IllegalArgumentException("no setting '" + name + "' can be changed at runtime; these can: "
                    + settings.definitions().keySet());
        }
        jdbc.update("DELETE FROM runtime_settings WHERE name = ?", name);
        changed(name, by);
        return view(name);
    }

    private void changed(String name, String by) {
        reload();
        log.info("Setting {} is now '{}' (changed by {})", name, settings.value(name), by);
        node.broadcast(new ClusterMessage.SettingsChanged());
    }

    private SettingView view(String name) {
        return list().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    /** Reads the table again and applies it. */
    public void reload() {
        Map<String, String> stored = new HashMap<>();
        jdbc.queryForList("SELECT name, setting_value FROM runtime_settings")
                .forEach(row -> stored.put((String) row.get("name"), (String) row.get("setting_value")));
        settings.reload(stored);
    }

    private static LocalDateTime toLocal(Object value) {
        if (value instanceof java.sql.Timestamp t) {
            return t.toLocalDateTime();
        }
        return value instanceof LocalDateTime l ? l : null;
    }

    @Override
    public void start() {
        reload();
        node.onMessage(ClusterMessage.SettingsChanged.class, m -> safeReload());
        refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ferry-settings");
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::safeReload, 30, 30, TimeUnit.SECONDS);
        running = true;
    }

    private void safeReload() {
        try {
            reload();
        } catch (RuntimeException e) {
            log.warn("Could not read the runtime settings: {}", e.toString());
        }
    }

    @Override
    public void stop() {
        running = false;
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Before the listeners and the cluster roles, which read the settings. */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 3000;
    }
}
