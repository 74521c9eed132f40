package io.ferry.transfer.secret;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

import io.ferry.common.LogText;

/**
 * Where a sealed value lives in the database: its table, its column and its row's key. A value is sealed under its
 * place (as AES-GCM additional data), so it opens only there: someone who can write the database cannot move a
 * partner's password to another partner, or one host key into another's row.
 *
 * <p>Every sealed column Ferry has is named here, once, so the stores and the migration that re-sealed older values
 * ({@code V19}) cannot disagree.
 */
public record SealedPlace(String table, String column, String row) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

    /** The columns that hold sealed values, with the column that keys their rows. */
    public enum Column {
        HOST_KEY("host_keys", "sealed_key", "algorithm"),
        TLS_CERTIFICATE("tls_certificates", "sealed_pkcs12", "name"),
        STORAGE_KEY("storage_keys", "sealed_key", "id"),
        PARTNER_PASSWORD("partners", "sealed_password", "name"),
        PARTNER_PRIVATE_KEY("partners", "sealed_private_key", "name"),
        ADMIN_TOTP("admin_users", "totp_secret", "username");

        private final String table;
        private final String column;
        private final String rowKey;

        Column(String table, String column, String rowKey) {
            this.table = table;
            this.column = column;
            this.rowKey = rowKey;
        }

        public String table() {
            return table;
        }

        public String column() {
            return column;
        }

        /** The column whose value names the row (unique in its table). */
        public String rowKey() {
            return rowKey;
        }

        /** This column in the row whose key is {@code row}. */
        public SealedPlace at(String row) {
            return new SealedPlace(table, column, row);
        }
    }

    public SealedPlace {
        if (!NAME.matcher(Objects.requireNonNull(table, "table")).matches()
                || !NAME.matcher(Objects.requireNonNull(column, "column")).matches()) {
            throw new IllegalArgumentException("a sealed value's table and column are lower-case SQL names");
        }
        Objects.requireNonNull(row, "row");
    }

    /** The additional data a value at this place is sealed with (the row comes last, so no two places share it). */
    byte[] additionalData(byte version) {
        byte[] text = ("ferry-sealed/" + table + "/" + column + "/" + row).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[1 + text.length];
        out[0] = version;
        System.arraycopy(text, 0, out, 1, text.length);
        return out;
    }

    @Override
    public String toString() {
        return table + "." + column + " of row " + LogText.quoted(row);
    }
}
