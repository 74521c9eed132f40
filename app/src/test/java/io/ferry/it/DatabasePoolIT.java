package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import com.zaxxer.hikari.HikariDataSource;

/** The node's pool on a MySQL-family server carries Connector/J's recommended statement and session caching. */
class DatabasePoolIT extends NodeIT {

    @Autowired
    DataSource dataSource;

    @Test
    void aMySqlPoolShouldCachePreparedStatementsAndSessionState() throws Exception {
        HikariDataSource pool = (HikariDataSource) dataSource;
        assertThat(pool.getJdbcUrl()).startsWith("jdbc:mysql:");
        assertThat(pool.getDataSourceProperties()).containsEntry("cachePrepStmts", "true")
                .containsEntry("useServerPrepStmts", "true").containsEntry("useLocalSessionState", "true");
        // and the server takes them: a prepared statement runs twice on one connection
        try (var connection = pool.getConnection();
                var statement = connection.prepareStatement("SELECT COUNT(*) FROM accounts WHERE username = ?")) {
            for (String name : new String[] {"admin", "nobody"}) {
                statement.setString(1, name);
                try (var rows = statement.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getInt(1)).isBetween(0, 1);
                }
            }
        }
    }
}
