package io.ferry.app.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The shared storage ({@code ferry.storage.*}).
 *
 * @param root the storage root (the NAS mount in a cluster); empty means {@code <ferry.data-dir>/storage}
 */
@ConfigurationProperties("ferry.storage")
public record StorageProperties(Path root) {
}
