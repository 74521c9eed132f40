package io.ferry.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
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
    private final List<String> options;
    final int port = FreePorts.next();
    private Process process;

    private PrivateDatabase(Path dir, List<String> options) {
        this.dir = dir;
        this.options = options;
    }

    /** Installs a fresh data directory under {@code work} and starts the server on it, with a schema {@code ferry}. */
    static PrivateDatabase start(Path work) throws Exception {
        PrivateDatabase db = install(work.resolve("mariadb"), List.of("--skip-log-bin"));
        db.startServer();
        db.execute("CREATE DATABASE ferry CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        return db;
    }

    /**
     * A primary for {@link #replicaOf}: binary log with GTIDs, and semi-synchronous replication (AFTER_SYNC: a commit
     * is acknowledged once a replica has it), with a schema {@code ferry}.
     */
    static PrivateDatabase primary(Path work) throws Exception {
        PrivateDatabase db = install(work.resolve("mariadb-primary"), List.of("--server-id=1",
                "--log-bin=binlog", "--log-slave-updates", "--gtid-strict-mode=ON",
                "--rpl-semi-sync-master-enabled=ON", "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
                "--rpl-semi-sync-master-timeout=10000"));
        db.startServer();
        db.execute("CREATE DATABASE ferry CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
        return db;
    }

    /** A replica of {@code primary} (GTID, semi-synchronous, read-only until promoted), replicating when answered. */
    static PrivateDatabase replicaOf(PrivateDatabase primary, Path work) throws Exception {
        PrivateDatabase db = install(work.resolve("mariadb-replica"), List.of("--server-id=2", "--log-bin=binlog",
                "--log-slave-updates", "--gtid-strict-mode=ON", "--read-only=ON",
                "--rpl-semi-sync-slave-enabled=ON", "--rpl-semi-sync-master-wait-point=AFTER_SYNC",
                "--rpl-semi-sync-master-timeout=10000"));
        db.startServer();
        db.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + primary.port + ", MASTER_USER='root',"
                + " MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1");
        db.execute("START SLAVE");
        return db;
    }

    /**
     * Promotes a replica whose primary died, as a failover tool does: applies all it received, stops replicating,
     * and takes writes (then takes semi-synchronous acknowledgements from a replica of its own, when one joins).
     */
    void promote() throws Exception {
        String received = status("SHOW SLAVE STATUS", "Gtid_IO_Pos");
        if (received != null && !received.isBlank()) {
            execute("SELECT MASTER_GTID_WAIT('" + received + "', 30)");
        }
        execute("STOP SLAVE");
        execute("RESET SLAVE ALL");
        execute("SET GLOBAL read_only = 0");
    }

    /** A column of the first row {@code sql} (a SHOW) answers, by name; null without a row. */
    String status(String sql, String column) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl(), "root", "");
                Statement s = c.createStatement(); var rows = s.executeQuery(sql)) {
            return rows.next() ? rows.getString(column) : null;
        }
    }

    /** A global status variable ({@code Rpl_semi_sync_master_clients}). */
    String globalStatus(String name) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl(), "root", "");
                Statement s = c.createStatement();
                var rows = s.executeQuery("SHOW GLOBAL STATUS LIKE '" + name + "'")) {
            return rows.next() ? rows.getString(2) : null;
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl(), "root", "");
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** SIGKILL: the server dies as a crashed machine's would, with what it had not yet sent to a replica. */
    void kill() throws Exception {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }

    private static PrivateDatabase install(Path dir, List<String> options) throws Exception {
        Files.createDirectories(dir);
        Process install = new ProcessBuilder(INSTALL, "--no-defaults", "--user=root", "--datadir=" + dir.resolve("data"),
                "--auth-root-authentication-method=normal", "--skip-test-db").redirectErrorStream(true)
                .redirectOutput(dir.resolve("install.log").toFile()).start();
        if (!install.waitFor(120, TimeUnit.SECONDS) || install.exitValue() != 0) {
            install.destroyForcibly();
            throw new IllegalStateException("mariadb-install-db failed: " + Files.readString(dir.resolve("install.log")));
        }
        return new PrivateDatabase(dir, options);
    }

    /** Starts the server on its data directory and waits until it answers. */
    void startServer() throws Exception {
        List<String> command = new ArrayList<>(List.of(SERVER, "--no-defaults", "--user=root",
                "--datadir=" + dir.resolve("data"), "--port=" + port, "--bind-address=127.0.0.1",
                "--socket=" + dir.resolve("mysqld.sock"), "--pid-file=" + dir.resolve("mysqld.pid"),
                "--skip-grant-tables", "--innodb-buffer-pool-size=64M"));
        command.addAll(options);
        process = new ProcessBuilder(command).redirectErrorStream(true)
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
