package io.ferry.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;

/**
 * The MySQL-compatible server the integration tests run against, chosen once per JVM:
 * <ol>
 * <li>{@code FERRY_TEST_DB_URL} (+ {@code _USER}, {@code _PASSWORD}) if set: a server you point at;</li>
 * <li>else Testcontainers {@code mysql:8.4} when a Docker engine answers;</li>
 * <li>else the local server on {@code 127.0.0.1:3306} as root with an empty password (MariaDB on our machines).</li>
 * </ol>
 * For a server (not a container) each run gets a fresh schema, dropped when the JVM exits. If none is reachable the
 * tests fail and say how to start one; they never skip.
 */
final class TestDatabase {

    record Server(String url, String username, String password) {

        /** Runs a query and answers the first column of each row. */
        List<String> column(String sql) throws SQLException {
            try (Connection c = DriverManager.getConnection(url, username, password);
                    Statement s = c.createStatement(); var rows = s.executeQuery(sql)) {
                List<String> values = new ArrayList<>();
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
                return values;
            }
        }
    }

    private static Server instance;

    private TestDatabase() {
    }

    static synchronized Server get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    /** A schema of its own (for nodes that must not share the other tests' lease and data), on the same server. */
    static synchronized Server fresh() {
        String url = System.getenv("FERRY_TEST_DB_URL");
        if (url != null && !url.isBlank()) {
            return freshSchema(url, env("FERRY_TEST_DB_USER", "root"), env("FERRY_TEST_DB_PASSWORD", ""));
        }
        return freshSchema("jdbc:mysql://127.0.0.1:3306/", "root", "");
    }

    private static Server start() {
        String url = System.getenv("FERRY_TEST_DB_URL");
        if (url != null && !url.isBlank()) {
            return freshSchema(url, env("FERRY_TEST_DB_USER", "root"), env("FERRY_TEST_DB_PASSWORD", ""));
        }
        if (dockerAvailable()) {
            MySQLContainer mysql = new MySQLContainer("mysql:8.4");
            mysql.start();
            Runtime.getRuntime().addShutdownHook(new Thread(mysql::stop));
            return new Server(mysql.getJdbcUrl(), mysql.getUsername(), mysql.getPassword());
        }
        return freshSchema("jdbc:mysql://127.0.0.1:3306/", "root", "");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static Server freshSchema(String serverUrl, String user, String password) {
        String schema = "ferry_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String base = serverUrl.contains("?") ? serverUrl.substring(0, serverUrl.indexOf('?')) : serverUrl;
        if (!base.endsWith("/")) {
            base = base.substring(0, base.lastIndexOf('/') + 1);
        }
        String admin = base + "?useSSL=false&allowPublicKeyRetrieval=true";
        try (Connection c = DriverManager.getConnection(admin, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + schema + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        } catch (SQLException e) {
            throw new IllegalStateException("The integration tests need a MySQL-compatible server and none answered at "
                    + serverUrl + " (" + e.getMessage() + ") and no Docker engine is available. Start one: "
                    + "'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' (MariaDB, root "
                    + "with an empty password on 127.0.0.1:3306), or 'docker run -p 3306:3306 "
                    + "-e MYSQL_ALLOW_EMPTY_PASSWORD=yes mysql:8.4', or point FERRY_TEST_DB_URL/_USER/_PASSWORD at "
                    + "one.", e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (Connection c = DriverManager.getConnection(admin, user, password);
                    Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + schema);
            } catch (SQLException ignored) {
                // the server went away first; the schema name is unique, so a leftover harms no later run
            }
        }));
        return new Server(base + schema + "?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC",
                user, password);
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null ? fallback : value;
    }
}
