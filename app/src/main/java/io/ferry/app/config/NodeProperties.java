package io.ferry.app.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Where a node keeps its local state ({@code ferry.*}).
 *
 * @param dataDir everything a single node keeps: the H2 database, the storage root, the master key file and the
 *                initial admin password, unless configured elsewhere
 */
@ConfigurationProperties("ferry")
public record NodeProperties(@DefaultValue("./ferry-data") Path dataDir) {
}
