package io.ferry.app.snapshot;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import io.ferry.transfer.account.Permission;
import io.ferry.transfer.pgp.PgpStep;

/**
 * The whole configuration of a cluster as one document (JSON or XML): accounts with their keys, partners, routes,
 * schedules, folder monitors and run-time settings. Secrets (account password hashes, partner passwords and private
 * keys) are either omitted (null) or sealed with a passphrase ({@link SnapshotSecrets}); {@link #secrets} says which.
 */
public record Snapshot(String format, int version, Instant exportedAt, String exportedBy, String node,
        String secrets, SnapshotSecrets.Kdf kdf, List<AccountEntry> accounts, List<PartnerEntry> partners,
        List<RouteEntry> routes, List<ScheduleEntry> schedules, List<MonitorEntry> monitors,
        List<SettingEntry> settings) {

    public static final String FORMAT = "ferry-configuration";
    public static final int VERSION = 1;
    public static final String OMITTED = "omitted";
    public static final String ENCRYPTED = "encrypted";

    public Snapshot {
        accounts = accounts == null ? List.of() : accounts;
        partners = partners == null ? List.of() : partners;
        routes = routes == null ? List.of() : routes;
        schedules = schedules == null ? List.of() : schedules;
        monitors = monitors == null ? List.of() : monitors;
        settings = settings == null ? List.of() : settings;
    }

    public record AccountEntry(String username, String passwordHash, String home, Set<Permission> permissions,
            Boolean enabled, Long quotaBytes, Long quotaFiles, List<String> allowedAddresses,
            List<String> deniedAddresses, List<String> publicKeys) {

        public AccountEntry {
            publicKeys = publicKeys == null ? List.of() : publicKeys;
            allowedAddresses = allowedAddresses == null ? List.of() : allowedAddresses;
            deniedAddresses = deniedAddresses == null ? List.of() : deniedAddresses;
        }
    }

    public record PartnerEntry(String name, String protocol, String host, Integer port, String username,
            String password, String privateKey, String hostKey, String remoteDir, Integer connectTimeoutSeconds,
            Integer transferTimeoutSeconds, Integer maxParallel, String ftpsMode, String certificateFingerprint,
            String trustedCertificates) {
    }

    public record RouteEntry(String name, String account, String pathGlob, String partner, String copyTo,
            String remoteName, String postAction, Boolean enabled, PgpStep pgp) {
    }

    public record ScheduleEntry(String name, String kind, String cron, String timeZone, String partner,
            String account, String folder, String fileGlob, Boolean deleteRemote, String postAction, String misfire,
            Boolean enabled) {
    }

    public record MonitorEntry(String name, String folder, String fileGlob, String account, String targetFolder,
            Integer stableSeconds, Boolean enabled) {
    }

    public record SettingEntry(String name, String value) {
    }
}
