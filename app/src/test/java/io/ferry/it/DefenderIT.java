package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.ferry.app.defender.ClusterDefender;

/**
 * The cluster's defender on a node: an administrator's ban drops the address's SFTP and FTPS connections before
 * any login, and lifting it lets them in again. (The automatic ban after guessed passwords, and its sharing with an
 * edge, run in {@link EdgeIT} on nodes of their own; here the shared node bans automatically only while one test
 * lowers its limit at run time, and lifts the ban after.)
 */
class DefenderIT extends NodeIT {

    private static final String PASSWORD = "defender-password-1";

    @Autowired
    ClusterDefender defender;

    @Test
    void theLimitsChangedAtRunTimeShouldBanTheNextGuesser() throws Exception {
        String user = uniqueUser("guessed");
        admin().createAccount(user, PASSWORD);
        try {
            assertThat(admin().put("/api/v1/settings/defender.max-failures", "{\"value\":\"0\"}").status())
                    .isEqualTo(400);
            assertThat(admin().put("/api/v1/settings/defender.ban-time", "{\"value\":\"soon\"}").status())
                    .isEqualTo(400);
            assertThat(admin().put("/api/v1/settings/defender.max-failures", "{\"value\":\"3\"}").status())
                    .isEqualTo(200);
            assertThat(admin().put("/api/v1/settings/defender.ban-time", "{\"value\":\"2m\"}").status())
                    .isEqualTo(200);
            java.time.Instant before = java.time.Instant.now();
            for (int i = 0; i < 3 && !admin().get("/api/v1/defender/bans").body().contains("\"127.0.0.1\""); i++) {
                assertThatThrownBy(() -> clients.login(sftpPort(), user, "wrong-" + PASSWORD))
                        .isInstanceOf(IOException.class);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(admin().get("/api/v1/defender/bans").body()).contains("\"127.0.0.1\""));
            tools.jackson.databind.JsonNode ban = null;
            for (tools.jackson.databind.JsonNode b : admin().get("/api/v1/defender/bans").json()) {
                if (b.path("address").asString().equals("127.0.0.1")) {
                    ban = b;
                }
            }
            assertThat(ban).isNotNull();
            java.time.Instant until = java.time.Instant.parse(ban.path("until").asString());
            assertThat(until).as("the ban time set at run time").isBetween(before.plusSeconds(110),
                    java.time.Instant.now().plusSeconds(125));
        } finally {
            assertThat(admin().delete("/api/v1/settings/defender.max-failures").status()).isEqualTo(200);
            assertThat(admin().delete("/api/v1/settings/defender.ban-time").status()).isEqualTo(200);
            admin().delete("/api/v1/defender/bans/127.0.0.1");
        }
        try (ClientSession session = clients.login(sftpPort(), user, PASSWORD)) {
            assertThat(session.isAuthenticated()).isTrue();
        }
    }

    @Test
    void aBanShouldDropSftpAndFtpsConnectionsUntilItIsLifted() throws Exception {
        String user = uniqueUser("defended");
        admin().createAccount(user, PASSWORD);
        try (ClientSession session = clients.login(sftpPort(), user, PASSWORD)) {
            assertThat(session.isAuthenticated()).isTrue();
        }
        assertThat(ftpsLogin(user)).as("an FTPS login before the ban").isTrue();
        Api.Response banned = admin().post("/api/v1/defender/bans",
                "{\"address\":\"127.0.0.1\",\"minutes\":5,\"reason\":\"test\"}");
        try {
            assertThat(banned.status()).as(banned.body()).isEqualTo(201);
            assertThat(banned.json().path("until").asString()).isNotBlank();
            assertThat(admin().get("/api/v1/defender/bans").body()).contains("\"127.0.0.1\"");

            assertThatThrownBy(() -> clients.login(sftpPort(), user, PASSWORD)).isInstanceOf(IOException.class);
            assertThat(ftpsLogin(user)).as("an FTPS login from a banned address").isFalse();
        } finally {
            assertThat(admin().delete("/api/v1/defender/bans/127.0.0.1").status()).isEqualTo(204);
        }
        try (ClientSession session = clients.login(sftpPort(), user, PASSWORD)) {
            assertThat(session.isAuthenticated()).isTrue();
        }
        assertThat(ftpsLogin(user)).as("an FTPS login after the ban").isTrue();
        assertThat(admin().delete("/api/v1/defender/bans/127.0.0.1").status()).isEqualTo(404);
    }

    /** Whether an implicit FTPS login (trusting the node's self-signed certificate) succeeds. */
    private boolean ftpsLogin(String user) {
        FTPSClient ftps = new FTPSClient(true);
        ftps.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        ftps.setConnectTimeout(10_000);
        ftps.setDefaultTimeout(10_000);
        try {
            ftps.connect("127.0.0.1", ftpsServer.implicitPort());
            return ftps.login(user, PASSWORD);
        } catch (IOException e) {
            return false; // closed before the greeting
        } finally {
            try {
                if (ftps.isConnected()) {
                    ftps.disconnect();
                }
            } catch (IOException e) {
                // already gone
            }
        }
    }

    /**
     * Bans compared strings: {@code 2001:db8::1} never matched Java's {@code 2001:db8:0:0:0:0:0:1}, and an IPv6 host
     * dodged a ban by taking another address of its /64. A ban now holds the /64, in any spelling.
     */
    @Test
    void anIpv6BanShouldHoldTheWholeSlash64InAnySpelling() {
        Api.Response banned = admin().post("/api/v1/defender/bans",
                "{\"address\":\"2001:DB8:0:7:0:0:0:1\",\"minutes\":5,\"reason\":\"ipv6 it\"}");
        assertThat(banned.status()).as(banned.body()).isEqualTo(201);
        try {
            assertThat(admin().get("/api/v1/defender/bans").body()).contains("\"2001:db8:0:7::/64\"");
            assertThat(defender.bannedUntil("2001:db8:0:7::1")).isPresent();
            assertThat(defender.bannedUntil("2001:db8:0:7:ffff:1:2:3")).isPresent();
            assertThat(defender.bannedUntil("2001:db8:0:8::1")).isEmpty();
        } finally {
            // any address of the /64 lifts it
            assertThat(admin().delete("/api/v1/defender/bans/2001:db8:0:7::abcd").status()).isEqualTo(204);
        }
        assertThat(defender.bannedUntil("2001:db8:0:7::1")).isEmpty();
    }

    @Test
    void badBansShouldBeRefusedWithAReason() {
        Api.Response noAddress = admin().post("/api/v1/defender/bans", "{\"minutes\":5}");
        assertThat(noAddress.status()).isEqualTo(400);
        assertThat(noAddress.body()).contains("address");
        Api.Response tooLong = admin().post("/api/v1/defender/bans",
                "{\"address\":\"198.51.100.1\",\"minutes\":100000}");
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.body()).contains("minutes");
        assertThat(admin().get("/api/v1/defender/bans").body()).doesNotContain("198.51.100.1");
    }
}
