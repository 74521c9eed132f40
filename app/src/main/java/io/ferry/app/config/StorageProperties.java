package io.ferry.app.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The shared storage ({@code ferry.storage.*}).
 *
 * @param root                   the storage root (the NAS mount in a cluster); empty means
 *                               {@code <ferry.data-dir>/storage}
 * @param encryption             encrypt new files at rest; empty means on when {@code ferry.cluster.members} is set
 *                               (a cluster), off on a single node
 * @param keys                   storage keys by id, base64 of 32 bytes each; empty means the key file
 * @param activeKey              the key new files are written with (when {@code keys} is set)
 * @param keyFile                key file ({@code id=base64} lines and {@code active=id}); created with one key
 *                               when encryption is on and it does not exist; empty means
 *                               {@code <ferry.data-dir>/storage.keys}
 * @param partialUploadRetention dropped uploads not resumed within this time are deleted; 0 keeps them
 * @param quotaRescan            how old an account's usage figures may get before its home is scanned again
 * @param minFreeSpace           the storage counts as unavailable with less free space; 0 disables the check
 * @param healthInterval         how often the storage probe runs
 */
@ConfigurationProperties("ferry.storage")
public record StorageProperties(
        Path root,
        Boolean encryption,
        @DefaultValue Map<String, String> keys,
        String activeKey,
        Path keyFile,
        @DefaultValue("24h") Duration partialUploadRetention,
        @DefaultValue("5m") Duration quotaRescan,
        @DefaultValue("100MB") DataSize minFreeSpace,
        @DefaultValue("10s") Duration healthInterval) {
}
