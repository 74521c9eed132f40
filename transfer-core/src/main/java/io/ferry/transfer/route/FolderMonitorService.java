package io.ferry.transfer.route;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Service;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/**
 * Folder monitors: folders of the shared storage where other systems put files (no upload, so no upload event).
 * They lie under {@code ferry.monitors.root}, outside the accounts' homes, which hold only what Ferry wrote (and
 * encrypted). The primary polls them; a file whose size and modification time stayed the same for
 * {@code stableSeconds} is taken into an account's folder as if uploaded there (so the account's routes run on it)
 * and removed from the monitored folder.
 */
@Service
public class FolderMonitorService {

    /** A monitor as the API shows it. */
    public record Monitor(String name, String folder, String fileGlob, String account, String targetFolder,
            int stableSeconds, boolean enabled) {
    }

    /**
     * What an administrator gives: {@code folder} relative to {@code ferry.monitors.root}, {@code fileGlob}
     * (default {@code *}) on file names, the {@code account} and its {@code targetFolder} (default {@code /}) the
     * files go to, {@code stableSeconds} (default 10) a file must stay unchanged before it is taken.
     */
    public record MonitorRequest(String name, String folder, String fileGlob, String account, String targetFolder,
            Integer stableSeconds, Boolean enabled) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final String SELECT = "SELECT name, folder, file_glob, account, target_folder, stable_seconds, "
            + "enabled FROM folder_monitors ";
    private static final RowMapper<Monitor> ROW = (rs, i) -> new Monitor(rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6), rs.getBoolean(7));

    private final JdbcTemplate jdbc;
    private final Path root;

    FolderMonitorService(JdbcTemplate jdbc, @Value("${ferry.monitors.root:}") String root) {
        this.jdbc = jdbc;
        this.root = root.isBlank() ? null : Path.of(root).toAbsolutePath().normalize();
    }

    /** Where monitored folders live; empty when {@code ferry.monitors.root} is not set. */
    public java.util.Optional<Path> root() {
        return java.util.Optional.ofNullable(root);
    }

    public Monitor create(MonitorRequest r) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        Monitor m = validated(r);
        Timestamp now = Timestamp.from(Instant.now());
        try {
            jdbc.update("INSERT INTO folder_monitors (name, folder, file_glob, account, target_folder, stable_seconds, "
                    + "enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", m.name(), m.folder(),
                    m.fileGlob(), m.account(), m.targetFolder(), m.stableSeconds(), m.enabled(), now, now);
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("folder monitor '" + r.name() + "' already exists");
        }
        return get(r.name());
    }

    /** Changes the fields given (the others stay). */
    public Monitor update(String name, MonitorRequest r) {
        Monitor old = get(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw new IllegalArgumentException("a folder monitor cannot be renamed; create another");
        }
        Monitor m = validated(new MonitorRequest(name, r.folder() == null ? old.folder() : r.folder(),
                r.fileGlob() == null ? old.fileGlob() : r.fileGlob(), r.account() == null ? old.account() : r.account(),
                r.targetFolder() == null ? old.targetFolder() : r.targetFolder(),
                r.stableSeconds() == null ? old.stableSeconds() : r.stableSeconds(),
                r.enabled() == null ? old.enabled() : r.enabled()));
        jdbc.update("UPDATE folder_monitors SET folder = ?, file_glob = ?, account = ?, target_folder = ?, "
                + "stable_seconds = ?, enabled = ?, updated_at = ? WHERE name = ?", m.folder(), m.fileGlob(),
                m.account(), m.targetFolder(), m.stableSeconds(), m.enabled(), Timestamp.from(Instant.now()), name);
        return get(name);
    }

    private Monitor validated(MonitorRequest r) {
        if (root == null) {
            throw new IllegalArgumentException("folder monitors need ferry.monitors.root: the shared directory (on "
                    + "the NAS, the same path on every node) their folders lie in");
        }
        String folder = r.folder() == null ? "" : r.folder().trim();
        if (folder.isEmpty() || folder.startsWith("/") || !directory(folder).startsWith(root)
                || directory(folder).equals(root) || folder.contains("..")) {
            throw new IllegalArgumentException("folder is a folder under ferry.monitors.root, relative to it, e.g. "
                    + "erp/outgoing");
        }
        String glob = r.fileGlob() == null || r.fileGlob().isBlank() ? "*" : r.fileGlob();
        if (glob.contains("/")) {
            throw new IllegalArgumentException("fileGlob matches file names, e.g. *.csv (no '/')");
        }
        FileSystems.getDefault().getPathMatcher("glob:" + glob);
        if (r.account() == null || r.account().isBlank()) {
            throw new IllegalArgumentException("account is required: the account the files are taken into");
        }
        Exists.account(jdbc, r.account(), "");
        String target = r.targetFolder() == null ? "/" : r.targetFolder();
        if (!target.startsWith("/") || target.contains("..")) {
            throw new IllegalArgumentException("targetFolder is an absolute folder in the account's home, e.g. /in");
        }
        int stable = r.stableSeconds() == null ? 10 : r.stableSeconds();
        if (stable < 1 || stable > 86_400) {
            throw new IllegalArgumentException("stableSeconds must be 1-86400");
        }
        return new Monitor(r.name(), folder, glob, r.account(), target, stable, r.enabled() == null || r.enabled());
    }

    public Monitor get(String name) {
        List<Monitor> found = jdbc.query(SELECT + "WHERE name = ?", ROW, name);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("folder monitor '" + name + "' not found");
        }
        return found.get(0);
    }

    public List<Monitor> list() {
        return jdbc.query(SELECT + "ORDER BY name", ROW);
    }

    public Monitor setEnabled(String name, boolean enabled) {
        get(name);
        jdbc.update("UPDATE folder_monitors SET enabled = ?, updated_at = ? WHERE name = ?", enabled,
                Timestamp.from(Instant.now()), name);
        return get(name);
    }

    public void delete(String name) {
        if (jdbc.update("DELETE FROM folder_monitors WHERE name = ?", name) == 0) {
            throw new AccountNotFoundException("folder monitor '" + name + "' not found");
        }
    }

    /** The monitored folder of a monitor (under the root). */
    public Path directory(Monitor monitor) {
        return directory(monitor.folder());
    }

    private Path directory(String folder) {
        return root.resolve(folder).normalize();
    }
}
