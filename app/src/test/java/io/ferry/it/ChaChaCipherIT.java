package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.util.unit.DataSize;

import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.sftp.HostKeyStore;
import io.ferry.transfer.sftp.SftpProperties;
import io.ferry.transfer.sftp.SftpServer;

/**
 * Ferry's own chacha20-poly1305@openssh.com against the stock OpenSSH client: a second listener of the same node,
 * configured to offer nothing else, so a transfer that works went through it in both directions.
 */
class ChaChaCipherIT extends NodeIT {

    @TempDir
    Path local;

    @Autowired
    HostKeyStore hostKeys;

    @Autowired
    AccountService accounts;

    @Autowired
    TransferLog transferLog;

    SftpServer chachaOnly;

    @BeforeEach
    void start() {
        SftpProperties properties = new SftpProperties(true, 0, "127.0.0.1", Duration.ofMinutes(1),
                Duration.ofMinutes(1), 6, DataSize.ofMegabytes(8), 261_120,
                List.of("chacha20-poly1305@openssh.com"), List.of(), List.of(), List.of(), 10, 256, 20,
                io.ferry.transfer.node.DoorLimits.DEFAULTS);
        chachaOnly = new SftpServer(properties, hostKeys, new io.ferry.transfer.session.PartnerLogins(accounts,
                storage, io.ferry.transfer.node.Defender.NONE, io.ferry.transfer.node.Logins.NONE),
                new io.ferry.transfer.session.Transfers(transferLog, "it-node"),
                new io.ferry.transfer.node.ServingState(true));
        chachaOnly.start();
    }

    @AfterEach
    void stop() {
        chachaOnly.stop();
    }

    @Test
    void openSshClientShouldUploadAndDownloadOverChaCha20Poly1305() throws Exception {
        OpenSshClient openssh = new OpenSshClient(local);
        String user = uniqueUser("chacha");
        admin().createAccount(user, "partner-password", "list", "read", "write");
        admin().addKey(user, openssh.publicKey());
        // several SSH packets of every size up to the 128 KiB the server accepts, and a rekey-free multi-MB stream
        byte[] data = SftpOperationsIT.random(7_654_321);
        Files.write(local.resolve("orders.csv"), data);

        OpenSshClient.Result result = openssh.batch(chachaOnly.port(), user, local,
                "put orders.csv", "get orders.csv back.csv", "ls -l");

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(Files.readAllBytes(local.resolve("back.csv"))).isEqualTo(data);
        assertThat(Files.readAllBytes(home(user).resolve("orders.csv"))).isEqualTo(data);
    }
}
