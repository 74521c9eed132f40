package io.ferry.transfer.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

import org.junit.jupiter.api.Test;

import io.ferry.common.FailureKind;
import io.ferry.storage.QuotaExceededException;
import io.ferry.storage.StorageException;
import io.ferry.storage.StorageFullException;
import io.ferry.storage.StorageReadOnlyException;
import io.ferry.storage.StorageUnavailableException;

class TransferFailureTest {

    @Test
    void storageFaultsShouldBeFoundAnywhereInTheCauseChain() {
        StorageFullException full = new StorageFullException("no space left on the storage",
                new IOException("No space left on device"));
        TransferFailure wrapped = TransferFailure.of(new StorageException("the upload cannot be completed: "
                + full.getMessage(), full));
        assertThat(wrapped.kind()).isEqualTo(FailureKind.STORAGE_FULL);
        assertThat(wrapped.logMessage()).isEqualTo("storage full: the upload cannot be completed: no space left on "
                + "the storage");
        assertThat(TransferFailure.of(new IOException("flush", new StorageReadOnlyException("the storage is "
                + "read-only", null))).kind()).isEqualTo(FailureKind.STORAGE_READ_ONLY);
        assertThat(TransferFailure.of(new StorageUnavailableException("the storage root is missing")).kind())
                .isEqualTo(FailureKind.STORAGE_UNAVAILABLE);
    }

    @Test
    void quotaShouldBeSaidOnceAndPartnersWordsKeptAsTheyAre() {
        TransferFailure quota = TransferFailure.of(new QuotaExceededException("quota exceeded: the account may "
                + "store 10 bytes"));
        assertThat(quota.kind()).isEqualTo(FailureKind.QUOTA);
        assertThat(quota.logMessage()).isEqualTo("quota exceeded: the account may store 10 bytes");
        TransferFailure partner = TransferFailure.of(new IOException("host key mismatch"));
        assertThat(partner.kind()).isEqualTo(FailureKind.OTHER);
        assertThat(partner.logMessage()).isEqualTo("host key mismatch");
    }

    @Test
    void aFileSystemErrorShouldNeverShowTheStoragesLocalPaths() {
        TransferFailure failure = TransferFailure.of(new java.nio.file.FileSystemException(
                "/srv/nas/ferry/acme/.ferry-part-x", "/srv/nas/ferry/acme/x", "Input/output error"));
        assertThat(failure.reason()).isEqualTo("Input/output error");
        assertThat(failure.logMessage()).doesNotContain("/srv/nas");
    }

    @Test
    void connectionsShouldBeToldFromTimeouts() {
        assertThat(TransferFailure.of(new SocketTimeoutException("Read timed out")).kind())
                .isEqualTo(FailureKind.TIMED_OUT);
        assertThat(TransferFailure.of(new IOException(new SocketException("Connection reset"))).logMessage())
                .isEqualTo("data connection lost: java.net.SocketException: Connection reset");
    }
}
