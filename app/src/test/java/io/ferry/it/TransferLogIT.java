package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

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
