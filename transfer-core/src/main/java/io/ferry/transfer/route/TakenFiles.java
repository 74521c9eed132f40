package io.ferry.transfer.route;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.HexFormat;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * What Ferry took in on its own, so that it takes nothing in twice: the files pulls fetched from partners
 * ({@code pull_records}) and the files folder monitors took from their folders ({@code monitor_taken}). A file is
 * its source, path, size and modification time: a new version (another size or time) is a new file. A record is
 * written in the transaction that logs the file's arrival, after the file is durable under its name; a crash before
 * that commit fetches the file once more and replaces it with the same bytes, and logs and routes it once.
 */
@Service
public class TakenFiles {

    private final JdbcTemplate jdbc;

    TakenFiles(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public boolean pulled(String partner, String remotePath, long size, long mtime) {
        return exists("pull_records", "record_key", key(partner, remotePath, size, mtime));
    }

    /** Inside the arrival's transaction; a duplicate (fetched twice at once) fails it. */
    public void recordPull(String partner, String remotePath, long size, long mtime, String sha256, String account,
            String localPath, long workItem) {
        jdbc.update("INSERT INTO pull_records (record_key, partner, remote_path, size, mtime, sha256, account, "
                + "local_path, work_item, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                key(partner, remotePath, size, mtime), partner, remotePath, size, mtime, sha256, account, localPath,
                workItem, Timestamp.from(Instant.now()));
    }

    public boolean monitored(String monitor, String path, long size, long mtime) {
        return exists("monitor_taken", "taken_key", key(monitor, path, size, mtime));
    }

    /** Inside the arrival's transaction; a duplicate (taken twice at once) fails it. */
    public void recordMonitored(String monitor, String path, long size, long mtime) {
        jdbc.update("INSERT INTO monitor_taken (taken_key, monitor, path, size, mtime, taken_at) VALUES (?, ?, ?, ?, ?, "
                + "?)", key(monitor, path, size, mtime), monitor, path, size, mtime, Timestamp.from(Instant.now()));
    }

    private boolean exists(String table, String column, String key) {
        Integer count = jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE " + column + " = ?",
                Integer.class, key);
        return count != null && count > 0;
    }

    private static String key(String source, String path, long size, long mtime) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((source + '\0' + path + '\0' + size + '\0' + mtime).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
