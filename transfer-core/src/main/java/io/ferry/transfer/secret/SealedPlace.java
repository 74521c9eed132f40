package io.ferry.transfer.secret;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
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

    /**
     * The columns that hold sealed values, with the column that keys their rows and the columns a value is bound to
     * besides: a partner's secrets are bound to where they are sent (protocol, host, port, user name, pinned host
     * key or certificate, trusted CAs), so someone who can write the database cannot point the partner at a host of
     * theirs and have Ferry log in there with the real password.
     */
    public enum Column {
        HOST_KEY("host_keys", "sealed_key", "algorithm"),
        TLS_CERTIFICATE("tls_certificates", "sealed_pkcs12", "name"),
        STORAGE_KEY("storage_keys", "sealed_key", "id"),
        PARTNER_PASSWORD("partners", "sealed_password", "name", "protocol", "host", "port", "username", "host_key",
                "tls_pin", "tls_trusted"),
        PARTNER_PRIVATE_KEY("partners", "sealed_private_key", "name", "protocol", "host", "port", "username",
                "host_key", "tls_pin", "tls_trusted"),
        ADMIN_TOTP("admin_users", "totp_secret", "username"),
        /** Ferry's own OpenPGP key pair, bound to the fingerprint it was imported with. */
        PGP_SECRET_KEY("pgp_keys", "sealed_secret", "name", "fingerprint");

        private final String table;
        private final String column;
        private final String rowKey;
        private final List<String> bound;

        Column(String table, String column, String rowKey, String... bound) {
            this.table = table;
            this.column = column;
            this.rowKey = rowKey;
            this.bound = List.of(bound);
        }

        /** The other columns of the row a value here is bound to (their values as stored). */
        public List<String> bound() {
            return bound;
        }

        /**
         * This column in the row {@code row} holds (its key and {@link #bound()} columns, by column name; a map of
         * any case, as JDBC answers it).
         */
        public SealedPlace at(Map<String, Object> row) {
            Object key = row.get(rowKey);
            if (key == null) {
                throw new IllegalArgumentException("the row has no " + rowKey);
            }
            if (bound.isEmpty()) {
                return new SealedPlace(table, column, key.toString());
            }
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                for (String name : bound) {
                    if (!row.containsKey(name)) {
                        throw new IllegalArgumentException("the row has no " + name);
                    }
                    Object value = row.get(name);
                    byte[] text = value == null ? new byte[0] : value.toString().getBytes(StandardCharsets.UTF_8);
                    // each value with its length, and null apart from empty: no two rows read alike
                    sha.update((name + "=" + (value == null ? "null" : text.length + ":")).getBytes(
                            StandardCharsets.UTF_8));
                    sha.update(text);
                    sha.update((byte) 0);
                }
                return new SealedPlace(table, column, key + "@" + HexFormat.of().formatHex(sha.digest()));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
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

        /** This column in the row whose key is {@code row} (a column bound to no other). */
        public SealedPlace at(String row) {
            if (!bound.isEmpty()) {
                throw new IllegalStateException(this + " is bound to " + bound + ": give the whole row");
            }
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
        int at = row.indexOf('@');
        return table + "." + column + " of row " + LogText.quoted(at < 0 ? row : row.substring(0, at));
    }
}
