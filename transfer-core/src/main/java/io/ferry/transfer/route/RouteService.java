package io.ferry.transfer.route;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.log.TransferListener;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.pgp.PgpKeys;
import io.ferry.transfer.pgp.PgpStep;

/**
 * Routes: a file uploaded into an account's folder, matching a glob, goes on to a partner, or is copied within the
 * storage (to a folder of the same or another account). Matching happens when an
 * upload completed successfully, on any node and over any protocol ({@link #uploaded}); each match becomes a
 * {@link WorkQueue} item before the upload is acknowledged.
 */
@Service
public class RouteService {

    /** A route as the API shows it. */
    public record Route(String name, String account, String pathGlob, String partner, String copyTo,
            String remoteName, String postAction, boolean enabled, PgpStep pgp) {
    }

    /**
     * What an administrator gives: a {@code partner} to deliver to, or {@code copyTo} ({@code [account:]/folder}) to
     * copy the file within the storage; {@code remoteName} defaults to {@code {name}}, {@code postAction} to
     * {@code keep}
     * ({@code delete}, or {@code archive}: moved to {@code /archive/<yyyyMMdd-HHmmss>-<name>} in the account's home),
     * {@code enabled} to true. A copy route may transform the file with OpenPGP on the way ({@code pgp}: encrypt
     * to a key, or decrypt); its result is named {@code {name}.pgp} or {@code {stem}} (the name without
     * {@code .pgp}, {@code .gpg} or {@code .asc}) unless {@code remoteName} says otherwise.
     */
    public record RouteRequest(String name, String account, String pathGlob, String partner, String copyTo,
            String remoteName, String postAction, Boolean enabled, PgpStep pgp) {
    }

    /** The protocol of a file an OpenPGP step made, in the transfer log. */
    public static final String PGP_PROTOCOL = "pgp";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final java.util.Set<String> POST_ACTIONS = java.util.Set.of("keep", "delete", "archive");
    private static final String SELECT = "SELECT name, account, path_glob, partner, copy_to, remote_name, post_action, "
            + "enabled, pgp FROM routes ";
    private static final org.springframework.jdbc.core.RowMapper<Route> ROW = (rs, i) -> new Route(rs.getString(1),
            rs.getString(2), rs.getString(3), rs.getString(4).isEmpty() ? null : rs.getString(4), rs.getString(5),
            rs.getString(6), rs.getString(7), rs.getBoolean(8), PgpStep.parse(rs.getString(9)));

    private final JdbcTemplate jdbc;
    private final WorkQueue queue;
    private final PgpKeys pgpKeys;

    RouteService(JdbcTemplate jdbc, WorkQueue queue, TransferLog log, PgpKeys pgpKeys) {
        this.jdbc = jdbc;
        this.queue = queue;
        this.pgpKeys = pgpKeys;
        log.addListener(new TransferListener() {
            @Override
            public void arrived(TransferRecord r) {
                // a file a route made (a copy, an OpenPGP step's result) is not made into another by a route
                uploaded(r.getId(), r.getAccount(), r.getPath(), r.getSha256(), "copy".equals(r.getProtocol())
                        || PGP_PROTOCOL.equals(r.getProtocol()));
            }
        });
    }

    public Route create(RouteRequest r) {
        Route route = validated(r);
        try {
            jdbc.update("INSERT INTO routes (name, account, path_glob, partner, copy_to, remote_name, post_action, "
                    + "enabled, created_at, pgp) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", route.name(), route.account(),
                    route.pathGlob(), route.partner() == null ? "" : route.partner(), route.copyTo(),
                    route.remoteName(), route.postAction(), route.enabled(),
                    Timestamp.valueOf(LocalDateTime.now(ZoneOffset.UTC)), route.pgp() == null ? null
                            : route.pgp().text());
        } catch (DuplicateKeyException e) {
            throw new AccountConflictException("route '" + r.name() + "' already exists");
        }
        return get(r.name());
    }

    /**
     * A change: null fields stay as they are; a partner given replaces a copy target and a copy target a partner
     * (and drops an OpenPGP step, which only a copy has). Uploads already routed keep the items they were given.
     */
    public Route update(String name, RouteRequest r) {
        Route old = get(name);
        if (r.name() != null && !r.name().equals(name)) {
            throw new IllegalArgumentException("a route cannot be renamed; add another");
        }
        boolean target = r.partner() != null || r.copyTo() != null;
        Route route = validated(new RouteRequest(name, or(r.account(), old.account()), or(r.pathGlob(), old.pathGlob()),
                target ? r.partner() : old.partner(), target ? r.copyTo() : old.copyTo(),
                or(r.remoteName(), old.remoteName()), or(r.postAction(), old.postAction()),
                r.enabled() == null ? old.enabled() : r.enabled(),
                r.pgp() != null ? r.pgp() : r.partner() != null ? null : old.pgp()));
        jdbc.update("UPDATE routes SET account = ?, path_glob = ?, partner = ?, copy_to = ?, remote_name = ?, "
                + "post_action = ?, enabled = ?, pgp = ? WHERE name = ?", route.account(), route.pathGlob(),
                route.partner() == null ? "" : route.partner(), route.copyTo(), route.remoteName(), route.postAction(),
                route.enabled(), route.pgp() == null ? null : route.pgp().text(), name);
        return get(name);
    }

    private static String or(String given, String old) {
        return given == null ? old : given;
    }

    /** The route as it would be stored, or the reason it cannot be. */
    private Route validated(RouteRequest r) {
        if (r.name() == null || !NAME.matcher(r.name()).matches()) {
            throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (r.account() == null || r.account().isBlank()) {
            throw new IllegalArgumentException("account is required");
        }
        if (r.pathGlob() == null || !r.pathGlob().startsWith("/")) {
            throw new IllegalArgumentException("pathGlob is required and absolute in the account's home, e.g. "
                    + "/outbox/*.csv");
        }
        FileSystems.getDefault().getPathMatcher("glob:" + r.pathGlob()); // a malformed glob is refused here
        String copyTo = null;
        if ((r.partner() == null) == (r.copyTo() == null)) {
            throw new IllegalArgumentException("give a partner (deliver to it) or copyTo (copy within the storage: "
                    + "[account:]/folder), not both");
        }
        if (r.partner() != null) {
            Exists.partner(jdbc, r.partner());
        } else {
            copyTo = copyTarget(r.account(), r.copyTo());
            if (copyTo.startsWith(r.account() + ":") && FileSystems.getDefault().getPathMatcher("glob:"
                    + r.pathGlob()).matches(Path.of(copyTo.substring(r.account().length() + 1), "copied.file"))) {
                throw new IllegalArgumentException("copyTo lies where pathGlob matches: the route would copy its own "
                        + "copies forever");
            }
        }
        if (r.pgp() != null) {
            if (r.copyTo() == null) {
                throw new IllegalArgumentException("an OpenPGP step runs on a copy route (copyTo): its result is a "
                        + "file of its own, which a route on that folder delivers");
            }
            pgpKeys.check(r.pgp());
        }
        String remoteName = r.remoteName() == null || r.remoteName().isBlank()
                ? r.pgp() == null ? "{name}" : r.pgp().defaultName() : r.remoteName();
        if (remoteName.contains("/") || remoteName.contains("..")) {
            throw new IllegalArgumentException("remoteName is a file name in the partner's folder, not a path");
        }
        String postAction = r.postAction() == null ? "keep" : r.postAction();
        if (!POST_ACTIONS.contains(postAction)) {
            throw new IllegalArgumentException("postAction must be keep, delete or archive");
        }
        return new Route(r.name(), r.account(), r.pathGlob(), r.partner(), copyTo, remoteName, postAction,
                r.enabled() == null || r.enabled(), r.pgp());
    }

    public Route get(String name) {
        List<Route> found = jdbc.query(SELECT + "WHERE name = ?", ROW, name);
        if (found.isEmpty()) {
            throw new AccountNotFoundException("route '" + name + "' not found");
        }
        return found.get(0);
    }

    public List<Route> list() {
        return jdbc.query(SELECT + "ORDER BY name", ROW);
    }

    public void delete(String name) {
        if (jdbc.update("DELETE FROM routes WHERE name = ?", name) == 0) {
            throw new AccountNotFoundException("route '" + name + "' not found");
        }
    }

    /**
     * A file was uploaded, made durable and logged: queues a delivery for every enabled route of the account whose
     * glob matches (for a file that arrived by a copy, the routes that deliver to partners only). Runs before the
     * client hears that its upload succeeded, so no acknowledged file is ever left unrouted.
     *
     * @return how many deliveries were queued
     */
    public int uploaded(long uploadId, String account, String path, String sha256, boolean copied) {
        List<Route> matches = new java.util.ArrayList<>();
        for (Route route : jdbc.query(SELECT + "WHERE account = ? AND enabled = TRUE ORDER BY name", ROW, account)) {
            if (copied && route.copyTo() != null) {
                continue; // a copy is never copied again by a route: no route, or ring of routes, copies forever
            }
            if (FileSystems.getDefault().getPathMatcher("glob:" + route.pathGlob()).matches(Path.of(path))) {
                matches.add(route);
            }
        }
        // every item of the upload carries the strongest post-action its routes ask for, so an item that says
        // "keep" knows that nothing is to be done to the source once its group is done
        String postAction = matches.stream().map(Route::postAction).anyMatch("archive"::equals) ? "archive"
                : matches.stream().map(Route::postAction).anyMatch("delete"::equals) ? "delete" : "keep";
        for (Route route : matches) {
            String name = remoteName(route.remoteName(), path);
            if (route.copyTo() != null) {
                // a copy: "account:/folder/name" is where it goes
                String target = route.copyTo() + (route.copyTo().endsWith("/") ? "" : "/") + name;
                queue.enqueue("copy", route.name(), "upload-" + uploadId, uploadId, account, path, "", target, sha256,
                        postAction, route.pgp() == null ? null : route.pgp().text());
            } else {
                queue.add(uploadId, route.name(), account, path, route.partner(), name, sha256, postAction);
            }
        }
        return matches.size();
    }

    /** {@code [account:]/folder} made whole ({@code account:/folder}); the account must exist. */
    private String copyTarget(String source, String copyTo) {
        int colon = copyTo.indexOf(':');
        String account = colon < 0 ? source : copyTo.substring(0, colon);
        String folder = colon < 0 ? copyTo : copyTo.substring(colon + 1);
        if (!folder.startsWith("/") || folder.contains("..") || folder.contains("\\")) {
            throw new IllegalArgumentException("copyTo is [account:]/folder, e.g. billing:/in or /archive/copies");
        }
        Exists.account(jdbc, account, " (copyTo)");
        return account + ":" + folder;
    }

    /**
     * {@code {name}} the file's name, {@code {stem}} that without an OpenPGP file's {@code .pgp}, {@code .gpg} or
     * {@code .asc}, {@code {date}} yyyyMMdd and {@code {time}} HHmmss (UTC, when queued).
     */
    static String remoteName(String template, String path) {
        LocalDateTime now = LocalDateTime.now(ZoneOffset.UTC);
        String name = Path.of(path).getFileName().toString();
        return template.replace("{name}", name).replace("{stem}", PgpStep.stem(name))
                .replace("{date}", now.format(DateTimeFormatter.BASIC_ISO_DATE)).replace("{time}", now.format(DateTimeFormatter.ofPattern("HHmmss")));
    }
}
