package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;

/**
 * The operators' meters on {@code /actuator/prometheus} after real transfers: transfers, bytes and the duration
 * histogram by protocol, direction and outcome; sessions; work items by state; storage. No label names an account
 * or a path.
 */
class OperatorMetricsIT extends NodeIT {

    @Test
    void transfersShouldShowAsLowCardinalityCountersHistogramsAndGauges() throws Exception {
        String user = uniqueUser("metered");
        admin().createAccount(user, "metered-password-1");
        double uploadsBefore = value(scrape(), "ferry_transfers_total\\{direction=\"upload\",outcome=\"success\","
                + "protocol=\"sftp\"}");
        byte[] data = SftpOperationsIT.random(300_000);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, "metered-password-1")) {
            try (var out = sftp.write("/metered-" + user + ".bin")) {
                out.write(data);
            }
            try (var in = sftp.read("/metered-" + user + ".bin")) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
            assertThat(value(scrape(), "ferry_sessions\\{protocol=\"sftp\"}")).as("this session").isGreaterThanOrEqualTo(1);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String text = scrape();
            assertThat(value(text, "ferry_transfers_total\\{direction=\"upload\",outcome=\"success\",protocol=\"sftp\"}"))
                    .isGreaterThanOrEqualTo(uploadsBefore + 1);
            assertThat(value(text, "ferry_transfers_total\\{direction=\"download\",outcome=\"success\","
                    + "protocol=\"sftp\"}")).isGreaterThanOrEqualTo(1);
            assertThat(value(text, "ferry_transfer_bytes_total\\{direction=\"upload\",protocol=\"sftp\"}"))
                    .isGreaterThanOrEqualTo(300_000);
        });
        String text = scrape();
        assertThat(text).contains("ferry_transfer_duration_seconds_bucket{direction=\"upload\",protocol=\"sftp\",le=")
                .contains("ferry_transfer_size_bytes_bucket{direction=\"upload\",protocol=\"sftp\",le=\"1048576.0\"}")
                .contains("ferry_work_items{state=\"failed\"}").contains("ferry_work_retries_total")
                .contains("ferry_work_queue_depth").contains("ferry_sessions{protocol=\"ftps\"}")
                .contains("ferry_cluster_primary").contains("hikaricp_connections_active");
        assertThat(value(text, "ferry_storage_free_bytes")).isGreaterThan(0);
        assertThat(value(text, "ferry_storage_up")).isEqualTo(1);
        assertThat(text).as("no account or path is a label").doesNotContain(user);
    }

    @Test
    void loginsShouldBeCountedByProtocolMethodAndOutcome() throws Exception {
        String user = uniqueUser("logins");
        admin().createAccount(user, "logins-password-1");
        String sftpOk = "ferry_logins_total\\{method=\"password\",outcome=\"success\",protocol=\"sftp\"}";
        String sftpBad = "ferry_logins_total\\{method=\"password\",outcome=\"failure\",protocol=\"sftp\"}";
        String ftpsBad = "ferry_logins_total\\{method=\"password\",outcome=\"failure\",protocol=\"ftps\"}";
        String keyOk = "ferry_logins_total\\{method=\"publickey\",outcome=\"success\",protocol=\"sftp\"}";
        String before = scrape();
        assertThat(before).contains("ferry_logins_total{method=\"publickey\",outcome=\"refused\",protocol=\"sftp\"}");
        try (var session = clients.login(sftpPort(), user, "logins-password-1")) {
            assertThat(session.isAuthenticated()).isTrue();
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> clients.login(sftpPort(), user, "wrong"))
                .isInstanceOf(java.io.IOException.class);
        // a key login: MINA asks about the key, then checks its signature; one success, counted once the session is in
        java.security.KeyPair key = org.apache.sshd.common.config.keys.KeyUtils.generateKeyPair("ssh-ed25519", 256);
        admin().addKey(user, org.apache.sshd.common.config.keys.PublicKeyEntry.toString(key.getPublic()));
        try (var session = clients.login(sftpPort(), user, key)) {
            assertThat(session.isAuthenticated()).isTrue();
        }
        org.apache.commons.net.ftp.FTPSClient ftps = new org.apache.commons.net.ftp.FTPSClient(true);
        ftps.setTrustManager(org.apache.commons.net.util.TrustManagerUtils.getAcceptAllTrustManager());
        ftps.setDefaultTimeout(10_000);
        ftps.connect("127.0.0.1", ftpsServer.implicitPort());
        try {
            assertThat(ftps.login(user, "wrong")).isFalse();
        } finally {
            ftps.disconnect();
        }
        // at least: deliveries other tests left behind log in to this node too, from Ferry's own partner client
        String after = scrape();
        assertThat(value(after, sftpOk)).isGreaterThanOrEqualTo(value(before, sftpOk) + 1);
        assertThat(value(after, sftpBad)).isGreaterThanOrEqualTo(value(before, sftpBad) + 1);
        assertThat(value(after, ftpsBad)).isGreaterThanOrEqualTo(value(before, ftpsBad) + 1);
        assertThat(value(after, keyOk)).isGreaterThanOrEqualTo(value(before, keyOk) + 1);
        assertThat(after).as("no account is a label").doesNotContain(user);
    }

    /**
     * Every metric the Grafana dashboard and the alert rules use is one a node serves (the edge's own, {@code
     * ferry_edge_*}, are served by edges: EdgeIT scrapes them).
     */
    @Test
    void theDashboardAndTheAlertsShouldOnlyUseMetricsANodeServes() throws Exception {
        String dashboard = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docker", "grafana", "dashboards",
                "ferry-cluster.json"));
        Api.MAPPER.readTree(dashboard); // well-formed
        String rules = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docker", "prometheus", "alerts.yml"));
        java.util.Set<String> used = new java.util.TreeSet<>();
        Matcher names = Pattern.compile("\\b((?:ferry|process|jvm|hikaricp)_[a-z_]+)").matcher(dashboard + rules);
        while (names.find()) {
            used.add(names.group(1));
        }
        assertThat(used).contains("ferry_cluster_primary", "ferry_transfer_duration_seconds_bucket");
        String text = scrape();
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (String name : used) {
            if (name.startsWith("ferry_edge_")) {
                continue;
            }
            if (!Pattern.compile("(?m)^(# TYPE )?" + name + "[{ ]").matcher(text).find()) {
                missing.add(name);
            }
        }
        assertThat(missing).as("metrics the dashboard or the alerts use that the node does not serve").isEmpty();
    }

    private String scrape() {
        Api.Response response = admin().get("/actuator/prometheus");
        assertThat(response.status()).isEqualTo(200);
        return response.body();
    }

    /** The sample's value (0 when the series is not there yet). */
    private static double value(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + series + " ([0-9.eE+-]+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
