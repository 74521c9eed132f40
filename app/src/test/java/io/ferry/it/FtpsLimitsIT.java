package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPConnectionClosedException;
import org.apache.commons.net.ftp.FTPReply;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.ftp.FtpsProperties;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.ftp.TlsCertificateStore;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.node.Defender;
import io.ferry.transfer.node.DoorLimits;
import io.ferry.transfer.node.Logins;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;
import tools.jackson.databind.JsonNode;

/**
 * FTPS limits and timeouts: a second FtpsServer on the node's own accounts, storage and transfer log, configured with
 * small limits (two sessions per account, three in all), one-second idle and data timeouts, and active mode on.
 */
class FtpsLimitsIT extends NodeIT {

    private static final String PASSWORD = "ftps-limits-password";
    private static FtpsServer limited;
    private static FtpsServer quick;

    @Autowired
    TlsCertificateStore certificates;
    @Autowired
    AccountService accounts;
    @Autowired
    StorageRoot storageRoot;
    @Autowired
    TransferLog transferLog;

    private final List<FTPSClient> open = new ArrayList<>();

    @BeforeEach
    void startServers() {
        if (limited == null) {
            limited = server(Duration.ofMinutes(1));
            quick = server(Duration.ofSeconds(1), "", Duration.ofSeconds(2));
        }
    }

    /**
     * Explicit FTPS only; three sessions in all, two per account; one-second data timeout; active mode on; two
     * minutes to log in.
     */
    private FtpsServer server(Duration idleTimeout) {
        return server(idleTimeout, "", Duration.ofMinutes(2));
    }

    private FtpsServer server(Duration idleTimeout, String passiveAddress, Duration authTimeout) {
        FtpsProperties properties = new FtpsProperties(true, "127.0.0.1", true, 0, false, false, 0, true, "0",
                passiveAddress, true, idleTimeout, Duration.ofSeconds(1), authTimeout, 3, 2, 6,
                List.of("TLSv1.3", "TLSv1.2"), List.of(), "", "", "", DoorLimits.DEFAULTS);
        FtpsServer server = new FtpsServer(properties, certificates, accounts, new PartnerLogins(accounts, storageRoot,
                Defender.NONE, Logins.NONE), new Transfers(transferLog, "it-limits"), new ServingState(true),
                properties::maxLoginsPerAccount);
        server.start();
        return server;
    }

    @AfterAll
    static void stopServers() {
        if (limited != null) {
            limited.stop();
            quick.stop();
            limited = null;
        }
    }

    @AfterEach
    void disconnect() {
        for (FTPSClient client : open) {
            try {
                client.disconnect();
            } catch (IOException e) {
                // already closed by the server
            }
        }
    }

    private String partner() {
        String user = uniqueUser("ftpslim");
        admin().createAccount(user, PASSWORD);
        return user;
    }

    private FTPSClient connect() throws IOException {
        return connect(limited);
    }

    private FTPSClient connect(FtpsServer server) throws IOException {
        FTPSClient client = new FTPSClient(false);
        client.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        client.setConnectTimeout(10_000);
        client.setDefaultTimeout(10_000);
        client.connect("127.0.0.1", server.explicitPort());
        client.setSoTimeout(10_000);
        open.add(client);
        return client;
    }

    private FTPSClient login(String user) throws IOException {
        return login(limited, user);
    }

    private FTPSClient login(FtpsServer server, String user) throws IOException {
        FTPSClient client = connect(server);
        assertThat(client.login(user, PASSWORD)).as(client.getReplyString()).isTrue();
        client.execPBSZ(0);
        client.execPROT("P");
        client.setFileType(FTP.BINARY_FILE_TYPE);
        client.enterLocalPassiveMode();
        return client;
    }

    @Test
    void loginsShouldBeLimitedPerAccountAndInAll() throws Exception {
        String first = partner();
        String second = partner();
        String third = partner();
        login(first);
        login(first);
        FTPSClient refused = connect();
        assertThatThrownBy(() -> refused.login(first, PASSWORD)).isInstanceOf(FTPConnectionClosedException.class);
        assertThat(refused.getReplyCode()).isEqualTo(421);
        assertThat(refused.getReplyString()).contains("login limit");

        login(second); // another account still gets in: three sessions in all
        FTPSClient full = connect();
        assertThatThrownBy(() -> full.login(third, PASSWORD)).isInstanceOf(FTPConnectionClosedException.class);
        assertThat(full.getReplyCode()).isEqualTo(421);

        open.get(0).logout(); // a session ends: its place is free again
        open.get(0).disconnect();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            FTPSClient again = connect();
            assertThat(again.login(third, PASSWORD)).as(again.getReplyString()).isTrue();
        });
    }

    @Test
    void aClientThatDoesNotLogInInTimeShouldBeDisconnectedThoughItSendsCommands() throws Exception {
        FTPSClient client = connect(quick);
        // a command every 300 ms keeps the connection from idling out; the login's two seconds still run out
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).until(() -> {
            try {
                client.sendCommand("NOOP"); // 530 before a login
                return false;
            } catch (FTPConnectionClosedException e) {
                return true; // commons-net's word for a 421
            }
        });
        assertThat(client.getReplyCode()).isEqualTo(421);
        assertThat(client.getReplyString()).contains("Not logged in within 2 s");
    }

    @Test
    void anIdleControlConnectionShouldBeClosed() throws Exception {
        FTPSClient client = login(quick, partner());
        long start = System.nanoTime();
        // no command: the server closes the connection after the one-second idle timeout
        assertThatThrownBy(client::getReply).isInstanceOf(FTPConnectionClosedException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
    }

    @Test
    void aStalledUploadShouldTimeOutWith426AndStayInvisible() throws Exception {
        String user = partner();
        FTPSClient client = login(user);
        OutputStream out = client.storeFileStream("stalled.bin");
        assertThat(out).as(client.getReplyString()).isNotNull();
        out.write(new byte[100_000]);
        out.flush();
        // the client sends nothing more and keeps the data connection open: the data timeout ends the transfer
        assertThat(client.getReply()).isEqualTo(426);
        assertThat(client.getReplyString()).contains("idle");
        out.close();
        assertThat(Files.exists(home(user).resolve("stalled.bin"))).isFalse();
        assertThat(client.listNames()).doesNotContain("stalled.bin");

        JsonNode row = admin().get("/api/v1/transfers?account=" + user).json().get("items").get(0);
        assertThat(row.get("status").asString()).isEqualTo("failed");
        assertThat(row.get("error").asString()).contains("timed out");
    }

    @Test
    void aDataConnectionThatNeverComesShouldGet425() throws Exception {
        FTPSClient client = login(partner());
        assertThat(client.pasv()).isEqualTo(227); // the client asks for a passive port but never connects to it
        assertThat(client.sendCommand("RETR", "nothing.bin")).isEqualTo(550);
        assertThat(client.storeFile("x.bin", new ByteArrayInputStream(new byte[1]))).isTrue(); // still usable
        assertThat(client.pasv()).isEqualTo(227);
        assertThat(client.sendCommand("STOR", "never.bin")).isEqualTo(150);
        assertThat(client.getReply()).isEqualTo(425);
    }

    @Test
    void passiveRepliesShouldAnnounceTheConfiguredExternalAddress() throws Exception {
        // behind NAT or the edge, partners must be told the outside address, not the one the node binds
        FtpsServer natted = server(Duration.ofMinutes(1), "192.0.2.10", Duration.ofMinutes(2));
        try {
            FTPSClient client = login(natted, partner());
            assertThat(client.pasv()).isEqualTo(227);
            assertThat(client.getReplyString()).contains("(192,0,2,10,");
        } finally {
            natted.stop();
        }
    }

    @Test
    void activeModeShouldWorkToTheClientOnlyAndNeverToAPrivilegedPort() throws Exception {
        String user = partner();
        FTPSClient client = login(user);
        byte[] data = SftpOperationsIT.random(300_000);
        client.enterLocalActiveMode();
        assertThat(client.storeFile("active.bin", new ByteArrayInputStream(data))).as(client.getReplyString()).isTrue();
        ByteArrayOutputStream back = new ByteArrayOutputStream();
        assertThat(client.retrieveFile("active.bin", back)).as(client.getReplyString()).isTrue();
        assertThat(back.toByteArray()).isEqualTo(data);

        // FTP bounce: another address, or a privileged port of the client's own
        assertThat(client.sendCommand("PORT", "127,0,0,2,39,16")).isEqualTo(501);
        assertThat(client.sendCommand("EPRT", "|1|127.0.0.2|10000|")).isEqualTo(501);
        assertThat(client.sendCommand("PORT", "127,0,0,1,0,25")).isEqualTo(504);
        assertThat(client.getReplyString()).contains("no FTP bounce");
        assertThat(client.sendCommand("EPRT", "|1|127.0.0.1|22|")).isEqualTo(504);
        assertThat(FTPReply.isPositiveCompletion(client.noop())).isTrue();
    }
}
