package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;

/** An account's address rules, over SFTP and FTPS: denied blocks, and an allow list that leaves the rest out. */
class AccountAddressRulesIT extends NodeIT {

    private static final String PASSWORD = "address-rules-password";

    @Test
    void loginsShouldComeOnlyFromAddressesTheAccountAllows() throws Exception {
        String user = uniqueUser("ruled");
        Api.Response created = admin().post("/api/v1/accounts", "{\"username\":\"" + user + "\",\"password\":\""
                + PASSWORD + "\",\"deniedAddresses\":[\"127.0.0.0/8\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.json().path("deniedAddresses").toString()).isEqualTo("[\"127.0.0.0/8\"]");
        assertThatThrownBy(() -> clients.login(sftpPort(), user, PASSWORD)).isInstanceOf(IOException.class);
        assertThat(ftpsLogin(user)).isFalse();

        // an allow list that does not name this address keeps it out too
        Api.Response elsewhere = admin().patch("/api/v1/accounts/" + user,
                "{\"deniedAddresses\":[],\"allowedAddresses\":[\"10.0.0.0/8\",\"2001:db8::/32\"]}");
        assertThat(elsewhere.status()).as(elsewhere.body()).isEqualTo(200);
        assertThat(elsewhere.json().path("deniedAddresses").size()).isZero();
        assertThatThrownBy(() -> clients.login(sftpPort(), user, PASSWORD)).isInstanceOf(IOException.class);

        Api.Response here = admin().patch("/api/v1/accounts/" + user, "{\"allowedAddresses\":[\"127.0.0.1\"]}");
        assertThat(here.status()).as(here.body()).isEqualTo(200);
        try (ClientSession session = clients.login(sftpPort(), user, PASSWORD)) {
            assertThat(session.isAuthenticated()).isTrue();
        }
        assertThat(ftpsLogin(user)).isTrue();

        Api.Response bad = admin().patch("/api/v1/accounts/" + user, "{\"allowedAddresses\":[\"partner.example\"]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("allowedAddresses: 'partner.example' is not an IP address or a CIDR block");
    }

    private boolean ftpsLogin(String user) {
        FTPSClient ftps = new FTPSClient(true);
        ftps.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        ftps.setConnectTimeout(10_000);
        ftps.setDefaultTimeout(10_000);
        try {
            ftps.connect("127.0.0.1", ftpsServer.implicitPort());
            return ftps.login(user, PASSWORD);
        } catch (IOException e) {
            return false;
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
}
