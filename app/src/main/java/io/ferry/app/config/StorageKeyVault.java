package io.ferry.app.config;

import java.security.SecureRandom;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.storage.StorageKeys;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * The at-rest encryption keys kept in the database, sealed with the master key: the first node that needs one
 * generates it, every node (with the same master key) loads the same ones, so a file written through one node reads
 * through any other. When two nodes start at once, the primary key on the id picks one generator; the other loads
 * its key.
 */
final class StorageKeyVault {

    private static final String FIRST_KEY = "k1";

    private final JdbcTemplate jdbc;
    private final MasterKey masterKey;

    StorageKeyVault(JdbcTemplate jdbc, MasterKey masterKey) {
        this.jdbc = jdbc;
        this.masterKey = masterKey;
    }

    /** The stored keys, the newest active; null when there are none and {@code create} is false. */
    StorageKeys load(boolean create) {
        List<Map<String, Object>> rows = rows();
        if (rows.isEmpty() && create) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            try {
                jdbc.update("INSERT INTO storage_keys (id, master_key_id, sealed_key, created_at) VALUES (?, ?, ?, ?)",
                        FIRST_KEY, masterKey.id(), masterKey.sealText(key, Column.STORAGE_KEY.at(FIRST_KEY)),
                        LocalDateTime.now(ZoneOffset.UTC));
            } catch (DuplicateKeyException e) {
                // another node created it first: use that one
            }
            rows = rows();
        }
        if (rows.isEmpty()) {
            return null;
        }
        Map<String, byte[]> keys = new LinkedHashMap<>();
        String active = null;
        for (Map<String, Object> row : rows) {
            String id = (String) row.get("id");
            keys.put(id, masterKey.openText((String) row.get("sealed_key"), Column.STORAGE_KEY.at(id)));
            active = id;
        }
        return new StorageKeys(keys, active);
    }

    private List<Map<String, Object>> rows() {
        return jdbc.queryForList("SELECT id, sealed_key FROM storage_keys ORDER BY created_at, id");
    }
}
