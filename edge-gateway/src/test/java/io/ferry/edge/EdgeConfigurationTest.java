package io.ferry.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.YamlPropertiesFactoryBean;
import org.springframework.core.io.ClassPathResource;
import org.springframework.util.ClassUtils;

/**
 * The edge holds nothing of the back end: its configuration is its own settings and the nodes' addresses and host
 * keys, and its classpath has no database driver, no storage, no cluster member.
 */
class EdgeConfigurationTest {

    @Test
    void theEdgesSettingsShouldBeItsOwnAndTheBackEndsAddressesOnly() throws Exception {
        YamlPropertiesFactoryBean yaml = new YamlPropertiesFactoryBean();
        yaml.setResources(new ClassPathResource("application.yml"));
        Properties defaults = yaml.getObject();
        assertThat(defaults).isNotEmpty();
        for (String key : defaults.stringPropertyNames()) {
            assertThat(key).as("a default setting of the edge")
                    .matches("(ferry\\.edge\\.|server\\.|management\\.|logging\\.|spring\\.application\\.|"
                            + "spring\\.main\\.).*");
            assertThat(key).doesNotContain("datasource").doesNotContain("storage").doesNotContain("master-key")
                    .doesNotContain("hazelcast");
        }
        // what the edge can be told: its name and secret, the nodes' addresses and host keys, its own listener, its
        // operator's token for the health details, and its own host keys and certificate (where it has its own)
        List<String> settings = new ArrayList<>();
        collect("ferry.edge", EdgeProperties.class, settings);
        assertThat(settings).containsExactlyInAnyOrder("ferry.edge.name", "ferry.edge.secret", "ferry.edge.backends",
                "ferry.edge.backendHostKeys", "ferry.edge.routing", "ferry.edge.healthInterval",
                "ferry.edge.backendTimeout", "ferry.edge.sftp.enabled", "ferry.edge.sftp.port",
                "ferry.edge.sftp.bindAddress", "ferry.edge.sftp.windowSize", "ferry.edge.ftps.enabled",
                "ferry.edge.ftps.explicitEnabled", "ferry.edge.ftps.explicitPort", "ferry.edge.ftps.implicitEnabled",
                "ferry.edge.ftps.implicitPort", "ferry.edge.ftps.bindAddress", "ferry.edge.ftps.passivePorts",
                "ferry.edge.ftps.passiveAddress", "ferry.edge.limits.maxSessions",
                "ferry.edge.limits.maxPerAddress", "ferry.edge.limits.connectionsPerMinute", "ferry.edge.limits.maxStartups",
                "ferry.edge.limits.authTimeout", "ferry.edge.limits.idleTimeout",
                "ferry.edge.limits.maxAuthAttempts", "ferry.edge.limits.banAfter", "ferry.edge.limits.banWindow",
                "ferry.edge.limits.banFor", "ferry.edge.limits.allowList", "ferry.edge.managementToken",
                "ferry.edge.identity.hostKeys", "ferry.edge.identity.tlsKeystore",
                "ferry.edge.identity.tlsKeystorePassword", "ferry.edge.failover.enabled",
                "ferry.edge.failover.timeout", "ferry.edge.failover.checkpointBytes",
                "ferry.edge.failover.maxHeldBytes");
    }

    @Test
    void theEdgeShouldHaveNoDatabaseStorageOrClusterOnItsClasspath() {
        ClassLoader loader = getClass().getClassLoader();
        for (String absent : List.of("com.mysql.cj.jdbc.Driver", "org.h2.Driver", "org.mariadb.jdbc.Driver",
                "org.springframework.jdbc.core.JdbcTemplate", "jakarta.persistence.Entity",
                "com.hazelcast.core.Hazelcast", "io.ferry.storage.FileStore", "io.ferry.transfer.account.Account",
                "io.ferry.cluster.ClusterNode")) {
            assertThat(ClassUtils.isPresent(absent, loader)).as(absent + " on the edge's classpath").isFalse();
        }
    }

    @Test
    void theDefaultsShouldNotWriteAnythingToDisk() throws Exception {
        try (InputStream in = new ClassPathResource("application.yml").getInputStream()) {
            String text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(text).doesNotContain("logging.file").doesNotContain("file:").doesNotContain("data-dir");
        }
    }

    private static void collect(String prefix, Class<?> type, List<String> into) {
        for (RecordComponent component : type.getRecordComponents()) {
            String name = prefix + "." + component.getName();
            if (component.getType().isRecord()) {
                collect(name, component.getType(), into);
            } else {
                into.add(name);
            }
        }
    }
}
