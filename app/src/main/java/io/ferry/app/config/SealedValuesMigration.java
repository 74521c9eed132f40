package io.ferry.app.config;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * Migration V19: re-seals every secret of the unbound format 1 for its place (table, column, row; see
 * {@link SealedPlace}), so from now on a sealed value copied to another row does not open. It runs once, under
 * Flyway's lock, on the first node of the release that starts; it needs the master key, which is why it is Java.
 *
 * <p>A value the node cannot open is told apart by what it guards. A host key, the FTPS certificate or a storage key
 * the node cannot open would stop it anyway (it could not start, or not read the NAS), and leaving it would make it
 * unreadable for good once the right key is given: the migration then changes nothing and fails, naming each value
 * and the fix (start with the master key that sealed them). A partner's password or key, or an administrator's TOTP
 * secret, that does not open was already unusable: it is left as it is, logged, and must be entered again.
 */
final class SealedValuesMigration implements JavaMigration {

    private static final Logger log = LoggerFactory.getLogger(SealedValuesMigration.class);
    private static final List<Column> NODE_SECRETS = List.of(Column.HOST_KEY, Column.TLS_CERTIFICATE,
            Column.STORAGE_KEY);
    /**
     * The columns that existed when format 2 came (V19): the only ones that can hold format 1. A column added later is
     * sealed in format 2 from the start, and its table does not exist yet when this migration runs.
     */
    private static final List<Column> SEALED_BEFORE_V19 = List.of(Column.HOST_KEY, Column.TLS_CERTIFICATE,
            Column.STORAGE_KEY, Column.PARTNER_PASSWORD, Column.PARTNER_PRIVATE_KEY, Column.ADMIN_TOTP);

    private final MasterKey masterKey;

    SealedValuesMigration(MasterKey masterKey) {
        this.masterKey = masterKey;
    }

    @Override
    public MigrationVersion getVersion() {
        return MigrationVersion.fromVersion("19");
    }

    @Override
    public String getDescription() {
        return "bind sealed values to their place";
    }

    @Override
    public Integer getChecksum() {
        return 19;
    }

    @Override
    public boolean canExecuteInTransaction() {
        return true;
    }

    private record Resealed(Column column, Object row, String before, String after) {
    }

    @Override
    public void migrate(Context context) throws SQLException {
        Connection connection = context.getConnection();
        List<Resealed> changes = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (Column column : SEALED_BEFORE_V19) {
            for (Map<String, Object> row : rows(connection, column)) {
                SealedPlace place = column.at(row);
                String sealed = (String) row.get(column.column());
                byte[] raw;
                try {
                    raw = Base64.getDecoder().decode(sealed);
                } catch (IllegalArgumentException e) {
                    raw = new byte[0];
                }
                if (MasterKey.bound(raw)) {
                    continue;
                }
                byte[] plain;
                try {
                    plain = masterKey.openUnbound(raw);
                } catch (IllegalStateException e) {
                    if (NODE_SECRETS.contains(column)) {
                        unreadable.add(place.toString());
                    } else {
                        log.warn("V19: the secret in {} cannot be opened with master key {} and is left as it is; it "
                                + "was unusable before and must be entered again", place, masterKey.id());
                    }
                    continue;
                }
                changes.add(new Resealed(column, row.get(column.rowKey()), sealed, masterKey.sealText(plain, place)));
                Arrays.fill(plain, (byte) 0);
            }
        }
        if (!unreadable.isEmpty()) {
            throw new IllegalStateException("V19 cannot re-seal " + String.join(", ", unreadable) + " with master key "
                    + masterKey.id() + " and changed nothing: start the node with the master key that sealed them "
                    + "(ferry.security.master-key or its file). On MySQL, Flyway then also needs its failed entry "
                    + "removed: DELETE FROM flyway_schema_history WHERE version = '19' AND success = 0");
        }
        for (Resealed change : changes) {
            Column column = change.column();
            try (PreparedStatement update = connection.prepareStatement("UPDATE " + column.table() + " SET "
                    + column.column() + " = ? WHERE " + column.rowKey() + " = ? AND " + column.column() + " = ?")) {
                update.setString(1, change.after());
                update.setObject(2, change.row());
                update.setString(3, change.before());
                update.executeUpdate();
            }
        }
        log.info("V19: {} sealed value(s) re-sealed for their place", changes.size());
    }

    /** The rows with a value in {@code column}: their key, the value, and the columns it is bound to. */
    private static List<Map<String, Object>> rows(Connection connection, Column column) throws SQLException {
        List<String> names = new ArrayList<>(List.of(column.rowKey(), column.column()));
        names.addAll(column.bound());
        List<Map<String, Object>> rows = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT " + String.join(", ", names) + " FROM "
                + column.table() + " WHERE " + column.column() + " IS NOT NULL");
                ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                Map<String, Object> row = new HashMap<>();
                for (int i = 0; i < names.size(); i++) {
                    row.put(names.get(i), rs.getObject(i + 1));
                }
                rows.add(row);
            }
        }
        return rows;
    }
}
