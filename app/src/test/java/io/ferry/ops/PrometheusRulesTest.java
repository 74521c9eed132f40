package io.ferry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The operators' Prometheus configuration in {@code docker/prometheus}: the config and alert rules pass
 * {@code promtool check}, and the rules' unit tests ({@code alerts.test.yml}) pass {@code promtool test rules}.
 * promtool comes from Debian's prometheus package, which {@code .ci/run} installs; without it this test fails.
 */
class PrometheusRulesTest {

    private static final Path DIR = Path.of("..", "docker", "prometheus").toAbsolutePath().normalize();

    @Test
    void theConfigurationShouldBeValid() throws Exception {
        assertThat(promtool("check", "config", "prometheus.yml")).contains("SUCCESS: 1 rule files found")
                .contains("is valid prometheus config file syntax");
    }

    @Test
    void theAlertRulesShouldBeValidAndPassTheirUnitTests() throws Exception {
        assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS: 15 rules found");
        assertThat(promtool("test", "rules", "alerts.test.yml")).contains("SUCCESS");
    }

    @Test
    void everyAlertShouldBeUnderstoodByAnOperator() throws Exception {
        String rules = Files.readString(DIR.resolve("alerts.yml"));
        for (String alert : List.of("FerryNoPrimary", "FerryMoreThanOnePrimary", "FerryMemberLost",
                "FerryQueueAgeHigh", "FerryNasNotWritable", "FerryDatabaseDown", "FerryClockSkew", "FerryBanStorm",
                "FerryTransferFailureRatio", "FerryNodeNearCapacity", "FerryClusterIntruder",
                "FerryExpectationMissed")) {
            assertThat(rules).as(alert).contains("alert: " + alert);
        }
        assertThat(Files.readString(Path.of("..", "docs", "operations.md"))).contains("FerryNoPrimary")
                .contains("FerryNasNotWritable").contains("FerryExpectationMissed");
    }

    private static String promtool(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("promtool"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
