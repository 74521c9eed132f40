package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.Outcome;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;

/**
 * The transfer log against the real database: a row whose transaction did not commit is written again whole (what
 * an upload published before its commit failed does: Transfer#publishedUnconfirmed records the same row again).
 */
class TransferLogIT extends NodeIT {

    @Autowired
    TransferLog transferLog;

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void aRowShouldReadBackAsItWasWritten() {
        // rows are inserted with JDBC and read with JPA: both must agree on every column, the times in UTC (whole
        // seconds: MySQL's Connector/J takes MariaDB, which answers as "5.5.5-10.x", for a server without
        // fractional seconds and drops them, whichever way a time is written)
        Instant started = Instant.parse("2026-03-29T00:59:58Z");
        Instant ended = Instant.parse("2026-03-29T01:00:01Z");
        TransferRecord row = new TransferRecord("it-node", "ftps", "s-" + System.nanoTime(), uniqueUser("log"),
                "/in/ünïcode 'name'.edi", Direction.UPLOAD, 7, 4096, "cd".repeat(32), started, ended,
                Outcome.FAILED, "the client hung up", "192.0.2.7").withTls("TLSv1.3 TLS_AES_128_GCM_SHA256")
                .withEdge("edge-1").withDerivedFrom(42L);

        long id = transferLog.record(row).getId();

        assertThat(transferLog.find(id)).hasValueSatisfying(stored -> {
            assertThat(stored.getNode()).isEqualTo("it-node");
            assertThat(stored.getProtocol()).isEqualTo("ftps");
            assertThat(stored.getSessionId()).isEqualTo(row.getSessionId());
            assertThat(stored.getAccount()).isEqualTo(row.getAccount());
            assertThat(stored.getPath()).isEqualTo("/in/ünïcode 'name'.edi");
            assertThat(stored.getDirection()).isEqualTo(Direction.UPLOAD);
            assertThat(stored.getStartOffset()).isEqualTo(7);
            assertThat(stored.getBytes()).isEqualTo(4096);
            assertThat(stored.getSha256()).isEqualTo("cd".repeat(32));
            assertThat(stored.getStartedAt()).isEqualTo(started);
            assertThat(stored.getEndedAt()).isEqualTo(ended);
            assertThat(stored.getOutcome()).isEqualTo(Outcome.FAILED);
            assertThat(stored.getError()).isEqualTo("the client hung up");
            assertThat(stored.getClientAddress()).isEqualTo("192.0.2.7");
            assertThat(stored.getTls()).isEqualTo("TLSv1.3 TLS_AES_128_GCM_SHA256");
            assertThat(stored.getEdge()).isEqualTo("edge-1");
            assertThat(stored.getDerivedFrom()).isEqualTo(42L);
        });
        assertThat(jdbc.queryForObject("SELECT DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s.%f') FROM transfers "
                + "WHERE id = ?", String.class, id)).as("stored as UTC wall-clock time").isEqualTo(
                        "2026-03-29 00:59:58.000000");
    }

    @Test
    void aCommittedUploadRecordedAgainShouldNotBeRoutedAgain() throws Exception {
        // what Transfer#publishedUnconfirmed does when a commit it was not told about went through after all
        String source = uniqueUser("src");
        String destination = uniqueUser("dst");
        admin().createAccount(source, "source-password");
        admin().createAccount(destination, "destination-password");
        Api.Response route = admin().post("/api/v1/routes", "{\"name\":\"" + uniqueUser("route")
                + "\",\"account\":\"" + source + "\",\"pathGlob\":\"/in/*.edi\",\"copyTo\":\"" + destination
                + ":/copies\"}");
        assertThat(route.status()).as(route.body()).isEqualTo(201);
        try (SftpClient sftp = clients.sftp(sftpPort(), source, "source-password")) {
            sftp.mkdir("/in");
            try (var out = sftp.write("/in/order.edi")) {
                out.write("UNA:+.? '".getBytes(StandardCharsets.US_ASCII));
            }
        }
        long id = jdbc.queryForObject("SELECT id FROM transfers WHERE account = ? AND path = '/in/order.edi'",
                Long.class, source);
        TransferRecord committed = transferLog.find(id).orElseThrow();

        assertThat(transferLog.record(committed).getId()).isEqualTo(id);

        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM work_items WHERE upload_id = ?", Long.class, id))
                .as("one copy for one upload").isEqualTo(1);
    }

    @Test
    void aRowWhoseCommitFailedShouldBeRecordedWhenWrittenAgain() {
        Instant now = Instant.now();
        TransferRecord row = new TransferRecord("it-node", "sftp", "s-" + System.nanoTime(), uniqueUser("log"),
                "/out/report.csv", Direction.DOWNLOAD, 0, 4096, "ab".repeat(32), now, now, Outcome.SUCCESS, null,
                "127.0.0.1");
        // the insert happens, then the transaction is rolled back: the object keeps the id it was given
        assertThatThrownBy(() -> transferLog.record(row, saved -> {
            throw new IllegalStateException("the commit was lost");
        })).hasMessage("the commit was lost");
        assertThat(row.getId()).as("an identity insert names the row before the commit").isNotNull();
        assertThat(transferLog.find(row.getId())).isEmpty();

        TransferRecord again = transferLog.record(row);

        assertThat(transferLog.find(again.getId())).hasValueSatisfying(stored -> {
            assertThat(stored.getPath()).isEqualTo("/out/report.csv");
            assertThat(stored.getAccount()).isEqualTo(row.getAccount());
            assertThat(stored.getSha256()).isEqualTo("ab".repeat(32));
            assertThat(stored.getBytes()).isEqualTo(4096);
        });
        // recorded once: writing the committed row again changes nothing
        assertThat(transferLog.record(again).getId()).isEqualTo(again.getId());
    }
}
