package io.ferry.app.config;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.stereotype.Component;

import com.zaxxer.hikari.HikariDataSource;

/**
 * Connector/J settings HikariCP recommends for MySQL, applied to a {@code jdbc:mysql:} pool unless the URL or
 * {@code spring.datasource.hikari.data-source-properties} sets them: statements prepared once per connection on the
 * server, session state tracked locally instead of re-sent ({@code SET autocommit} only when it changes). Each
 * transfer, work item and schedule fire runs a handful of short statements; these cut their round trips.
 */
@Component
class MySqlConnectionDefaults implements BeanPostProcessor {

    static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("cachePrepStmts", "true");
        DEFAULTS.put("prepStmtCacheSize", "250");
        DEFAULTS.put("prepStmtCacheSqlLimit", "2048");
        DEFAULTS.put("useServerPrepStmts", "true");
        DEFAULTS.put("useLocalSessionState", "true");
        DEFAULTS.put("cacheResultSetMetadata", "true");
        DEFAULTS.put("cacheServerConfiguration", "true");
        DEFAULTS.put("elideSetAutoCommits", "true");
        DEFAULTS.put("maintainTimeStats", "false");
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof HikariDataSource pool && pool.getJdbcUrl() != null
                && pool.getJdbcUrl().startsWith("jdbc:mysql:")) {
            String url = pool.getJdbcUrl();
            DEFAULTS.forEach((key, value) -> {
                if (!url.contains(key + "=") && !pool.getDataSourceProperties().containsKey(key)) {
                    pool.addDataSourceProperty(key, value);
                }
            });
        }
        return bean;
    }
}
