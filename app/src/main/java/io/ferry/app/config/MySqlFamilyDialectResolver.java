package io.ferry.app.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.hibernate.dialect.DatabaseVersion;
import org.hibernate.dialect.Dialect;
import org.hibernate.dialect.MariaDBDialect;
import org.hibernate.dialect.MySQLDialect;
import org.hibernate.engine.jdbc.dialect.spi.DialectResolutionInfo;
import org.hibernate.engine.jdbc.dialect.spi.DialectResolver;

/**
 * Picks the Hibernate dialect for the MySQL family from what the server really is, not what MySQL Connector/J
 * reports: Connector/J presents MariaDB as "MySQL 5.5.5-10.11.x-MariaDB", which Hibernate would take for an
 * unsupported MySQL 5.5. MariaDB gets the MariaDB dialect at its real version; MySQL gets the MySQL dialect. Every
 * other database (H2 on a single node) is left to Hibernate's standard resolution.
 */
public final class MySqlFamilyDialectResolver implements DialectResolver {

    private static final Pattern MARIADB_VERSION = Pattern.compile("(?:5\\.5\\.5-)?(\\d+)\\.(\\d+)\\.(\\d+)-MariaDB");

    @Override
    public Dialect resolveDialect(DialectResolutionInfo info) {
        if (!"MySQL".equals(info.getDatabaseName()) && !"MariaDB".equals(info.getDatabaseName())) {
            return null;
        }
        String version = info.getDatabaseVersion();
        Matcher mariadb = version == null ? null : MARIADB_VERSION.matcher(version);
        if (mariadb != null && mariadb.find()) {
            return new MariaDBDialect(DatabaseVersion.make(Integer.parseInt(mariadb.group(1)),
                    Integer.parseInt(mariadb.group(2)), Integer.parseInt(mariadb.group(3))));
        }
        if ("MariaDB".equals(info.getDatabaseName())) {
            return new MariaDBDialect(info);
        }
        return new MySQLDialect(info);
    }
}
