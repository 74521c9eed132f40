package io.ferry.transfer.route;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.springframework.jdbc.core.JdbcTemplate;

/** Applies the real Flyway migrations, by file name, to a test database (H2 in MySQL mode). */
final class Migrations {

    private Migrations() {
    }

    static void apply(JdbcTemplate jdbc, String... files) {
        for (String file : files) {
            try {
                String migration = Files.readString(Path.of("../db/migrations", file));
                for (String sql : migration.replaceAll("(?m)^--.*$", "").split(";")) {
                    if (!sql.isBlank()) {
                        jdbc.execute(sql);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
