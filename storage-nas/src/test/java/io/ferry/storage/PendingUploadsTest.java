package io.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PendingUploadsTest {

    @TempDir
    Path root;

    @Test
    void sweepShouldRemoveOnlyAbandonedUploadsOlderThanTheRetention() throws Exception {
        Path home = Files.createDirectories(root.resolve("acme/in"));
        Path old = Files.writeString(home.resolve(".ferry-part-old.csv"), "dropped long ago");
        Path recent = Files.writeString(home.resolve(".ferry-part-recent.csv"), "still being resumed");
        Path file = Files.writeString(home.resolve("done.csv"), "complete");
        Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofDays(2))));

        assertThat(PendingUploads.sweep(root, Instant.now().minus(Duration.ofHours(24)))).isEqualTo(1);
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
        assertThat(file).exists();
    }

    @Test
    void tooLongNamesShouldBeRefusedWithAClearMessage() {
        String name = "n".repeat(250);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PendingUploads.partName(name))
                .isInstanceOf(StorageException.class).hasMessageContaining("too long");
    }
}
