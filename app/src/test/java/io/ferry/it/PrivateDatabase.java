package io.ferry.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A MariaDB server of a test's own (issue 22): its own data directory and port on loopback, so the test can stop it,
 * start it again, or freeze it ({@code SIGSTOP}) without touching the server the other tests share. Debian's
 * {@code mariadb-install-db} and {@code mariadbd}; no grant tables (any user, loopback only).
 */
final class PrivateDatabase implements AutoCloseable {

    private static final String SERVER = "/usr/sbin/mariadbd";
    private static final String INSTALL = "/usr/bin/mariadb-install-db";

    private final Path dir;
    final int port = FreePorts.next();
    private Process process;

    private PrivateDatabase(Path dir) {
        this.dir = dir;
    }

    /** Installs a fresh data directory under {@code work} and starts the server on it, with a schema {@code ferry}. */
    static PrivateDatabase start(Path work) throws Exception {
        Path dir = Files.createDirectories(work.resolve("mariadb"));
        Process install = new ProcessBuilder(INSTALL, "--no-defaults", "--user=root", "--datadir=" + dir.resolve("data"),
                "--auth-root-authentication-method=normal", "--skip-test-db").redirectErrorStream(true)
                .redirectOutput(dir.resolve("install.log").toFile()).start();
        if (!install.waitFor(120, TimeUnit.SECONDS) || install.exitValue() != 0) {
            install.destroyForcibly();
            throw new IllegalStateException("mariadb-install-db failed: " + Files.readString(dir.resolve("install.log")));
        }
        PrivateDatabase db = new PrivateDatabase(dir);
        db.startServer();
        try (Connection c = DriverManager.getConnection(db.adminUrl(), "root", "");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE ferry CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        }
        return db;
    }

    /** Starts the server on its data directory and waits until it answers. */
    void startServer() throws Exception {
        process = new ProcessBuilder(SERVER, "--no-defaults", "--user=root", "--datadir=" + dir.resolve("data"),
                "--port=" + port, "--bind-address=127.0.0.1", "--socket=" + dir.resolve("mysqld.sock"),
                "--pid-file=" + dir.resolve("mysqld.pid"), "--skip-grant-tables", "--innodb-buffer-pool-size=64M",
                "--skip-log-bin").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(adminUrl(), "root", "")) {
                return;
            } catch (SQLException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("the private MariaDB did not start: "
                            + Files.readString(dir.resolve("server.log")), e);
                }
                Thread.sleep(200);
            }
        }
    }

    /** Stops the server cleanly (SIGTERM) and waits for it to exit. */
    void stopServer() throws Exception {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Freezes the server (SIGSTOP): connections stay open and nothing answers. */
    void freeze() throws Exception {
        signal("STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    void thaw() throws Exception {
        signal("CONT");
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(process.pid())).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " failed");
        }
    }

    /** The {@code ferry} schema, as the nodes are given it (no grant tables: any user, no password). */
    TestDatabase.Server server() {
        return new TestDatabase.Server("jdbc:mysql://127.0.0.1:" + port
                + "/ferry?useSSL=false&allowPublicKeyRetrieval=true&serverTimezone=UTC", "root", "");
    }

    private String adminUrl() {
        return "jdbc:mysql://127.0.0.1:" + port + "/?useSSL=false&allowPublicKeyRetrieval=true";
    }

    /** Runs a query on the {@code ferry} schema and answers the first column of each row. */
    List<String> column(String sql) throws SQLException {
        return server().column(sql);
    }

    @Override
    public void close() throws IOException {
        if (process != null && process.isAlive()) {
            try {
                thaw();
            } catch (Exception ignored) {
                // not frozen, or gone
            }
            process.destroyForcibly();
        }
    }
}
