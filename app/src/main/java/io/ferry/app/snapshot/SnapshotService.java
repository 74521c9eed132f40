package io.ferry.app.snapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.ferry.app.cluster.SettingsService;
import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountKey;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.partner.Partner;
import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.route.FolderMonitorService;
import io.ferry.transfer.route.RouteService;
import io.ferry.transfer.route.ScheduleService;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Exports the whole configuration as a {@link Snapshot} and imports one: for migration between clusters and for
 * disaster recovery (the database backup remains the full one: it also holds the transfer log, the host keys and
 * the FTPS certificate). An import merges by name: what the snapshot names is created or changed to match it,
 * what it does not name is left alone; it runs in one transaction, so a refused entry leaves nothing changed. A dry
 * run does the same and rolls back, reporting what would happen.
 */
@Service
public class SnapshotService {

    /** What an import did (or, in a dry run, would do), per kind. */
    public record Report(boolean dryRun, Map<String, Counts> changes, List<String> notes) {
    }

    public record Counts(int created, int updated) {
    }

    private final AccountService accounts;
    private final PartnerService partners;
    private final RouteService routes;
    private final ScheduleService schedules;
    private final FolderMonitorService monitors;
    private final SettingsService settings;
    private final io.ferry.transfer.node.RuntimeSettings runtimeSettings;
    private final ClusterNode node;
    private final TransactionTemplate transaction;
    private final ObjectMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            .findAndAddModules().build();

    SnapshotService(AccountService accounts, PartnerService partners, RouteService routes,
            ScheduleService schedules, FolderMonitorService monitors, SettingsService settings,
            io.ferry.transfer.node.RuntimeSettings runtimeSettings, ClusterNode node,
            PlatformTransactionManager transactions) {
        this.runtimeSettings = runtimeSettings;
        this.accounts = accounts;
        this.partners = partners;
        this.routes = routes;
        this.schedules = schedules;
        this.monitors = monitors;
        this.settings = settings;
        this.node = node;
        this.transaction = new TransactionTemplate(transactions);
    }

    /**
     * The configuration now.
     *
     * @param secretsMode {@code omitted} (no password hash, partner password or private key) or {@code encrypted}
     * @param passphrase  for {@code encrypted}: at least 12 characters
     */
    public Snapshot export(String secretsMode, String passphrase, String by) {
        boolean encrypt = Snapshot.ENCRYPTED.equals(secretsMode);
        if (!encrypt && !Snapshot.OMITTED.equals(secretsMode)) {
            throw new IllegalArgumentException("secrets must be omitted or encrypted");
        }
        SnapshotSecrets box = encrypt ? SnapshotSecrets.create(passphrase) : null;
        List<Snapshot.AccountEntry> accountEntries = new ArrayList<>();
        for (int page = 0;; page++) {
            Page<Account> found = accounts.list(null, PageRequest.of(page, 500, Sort.by("username")));
            for (Account a : found) {
                String name = a.getUsername();
                List<String> keys = accounts.keys(name).stream().map(AccountKey::getPublicKey).toList();
                accountEntries.add(new Snapshot.AccountEntry(name,
                        box == null ? null : box.seal("account/" + name + "/passwordHash", accounts.passwordHash(name)),
                        a.getHome(), a.getPermissions(), a.isEnabled(), a.getQuotaBytes(), a.getQuotaFiles(),
                        a.getAllowedAddresses(), a.getDeniedAddresses(), keys));
            }
            if (!found.hasNext()) {
                break;
            }
        }
        List<Snapshot.PartnerEntry> partnerEntries = new ArrayList<>();
        for (Partner p : partners.list()) {
            PartnerService.PartnerSecrets secrets = partners.secrets(p.name());
            String place = "partner/" + p.name() + "/";
            partnerEntries.add(new Snapshot.PartnerEntry(p.name(), p.protocol(), p.host(), p.port(), p.username(),
                    box == null ? null : box.seal(place + "password", secrets.password()),
                    box == null ? null : box.seal(place + "privateKey", secrets.privateKey()), p.hostKey(),
                    p.remoteDir(), p.connectTimeoutSeconds(), p.transferTimeoutSeconds(), p.maxParallel(),
                    p.protocol().equals("ftps") ? p.ftpsMode() : null, p.certificateFingerprint(),
                    secrets.trustedCertificates()));
        }
        List<Snapshot.RouteEntry> routeEntries = routes.list().stream().map(r -> new Snapshot.RouteEntry(r.name(),
                r.account(), r.pathGlob(), r.partner(), r.copyTo(), r.remoteName(), r.postAction(), r.enabled(),
                r.pgp())).toList();
        List<Snapshot.ScheduleEntry> scheduleEntries = schedules.list().stream().map(s -> new Snapshot.ScheduleEntry(
                s.name(), s.kind(), s.cron(), s.timeZone(), s.partner(), s.account(), s.folder(), s.fileGlob(),
                s.deleteRemote(), s.postAction(), s.misfire(), s.enabled())).toList();
        List<Snapshot.MonitorEntry> monitorEntries = monitors.list().stream().map(m -> new Snapshot.MonitorEntry(
                m.name(), m.folder(), m.fileGlob(), m.account(), m.targetFolder(), m.stableSeconds(), m.enabled()))
                .toList();
        List<Snapshot.SettingEntry> settingEntries = settings.list().stream().filter(SettingsService.SettingView::changed)
                .map(v -> new Snapshot.SettingEntry(v.name(), v.value())).toList();
        return new Snapshot(Snapshot.FORMAT, Snapshot.VERSION, Instant.now(), by, node.nodeId(),
                encrypt ? Snapshot.ENCRYPTED : Snapshot.OMITTED, box == null ? null : box.kdf(), accountEntries,
                partnerEntries, routeEntries, scheduleEntries, monitorEntries, settingEntries);
    }

    /** The document: {@code json} or {@code xml}. */
    public String render(Snapshot snapshot, String format) {
        JsonNode tree = json.valueToTree(snapshot);
        return switch (format) {
            case "json" -> json.writeValueAsString(tree) + "\n";
            case "xml" -> SnapshotXml.write(tree);
            default -> throw new IllegalArgumentException("format must be json or xml");
        };
    }

    /** The document as a download: its media type and {@code ferry-configuration-<UTC time>.<format>}. */
    public static org.springframework.http.ResponseEntity<byte[]> download(String body, String format,
            Snapshot snapshot) {
        String file = "ferry-configuration-" + java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss",
                java.util.Locale.ROOT).withZone(java.time.ZoneOffset.UTC).format(snapshot.exportedAt()) + "." + format;
        return org.springframework.http.ResponseEntity.ok()
                .contentType(format.equals("xml") ? org.springframework.http.MediaType.APPLICATION_XML
                        : org.springframework.http.MediaType.APPLICATION_JSON)
                .header(org.springframework.http.HttpHeaders.CONTENT_DISPOSITION,
                        "attachment; filename=\"" + file + "\"")
                .body(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** A JSON or XML document (told apart by its first character) as a snapshot; refuses other documents. */
    public Snapshot parse(String document) {
        if (document == null || document.isBlank()) {
            throw new IllegalArgumentException("the snapshot is empty");
        }
        String start = document.stripLeading();
        JsonNode tree;
        try {
            tree = start.startsWith("<") ? SnapshotXml.read(start) : json.readTree(start);
        } catch (tools.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("not a JSON or XML snapshot: " + e.getOriginalMessage());
        }
        Snapshot snapshot;
        try {
            snapshot = json.treeToValue(tree, Snapshot.class);
        } catch (tools.jackson.core.JacksonException e) {
            throw new IllegalArgumentException("not a Ferry configuration snapshot: " + e.getOriginalMessage());
        }
        if (!Snapshot.FORMAT.equals(snapshot.format())) {
            throw new IllegalArgumentException("not a Ferry configuration snapshot (format must be " + Snapshot.FORMAT
                    + ")");
        }
        if (snapshot.version() != Snapshot.VERSION) {
            throw new IllegalArgumentException("snapshot version " + snapshot.version() + " is not one this server "
                    + "reads (" + Snapshot.VERSION + ")");
        }
        return snapshot;
    }

    /**
     * Applies the snapshot in one transaction (settings last, once it committed, so every node reloads them). A
     * refusal names the entry and leaves nothing changed.
     */
    public Report importSnapshot(Snapshot snapshot, String passphrase, boolean dryRun, String by) {
        SnapshotSecrets box = Snapshot.ENCRYPTED.equals(snapshot.secrets())
                ? SnapshotSecrets.open(snapshot.kdf(), passphrase) : null;
        if (box == null && !Snapshot.OMITTED.equals(snapshot.secrets())) {
            throw new IllegalArgumentException("secrets must be omitted or encrypted");
        }
        for (Snapshot.SettingEntry s : snapshot.settings()) {
            settingCheck(s);
        }
        Map<String, Counts> changes = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        transaction.executeWithoutResult(status -> {
            changes.put("accounts", importAccounts(snapshot, box, notes));
            changes.put("partners", importPartners(snapshot, box));
            changes.put("routes", importRoutes(snapshot));
            changes.put("schedules", importSchedules(snapshot));
            changes.put("monitors", importMonitors(snapshot));
            if (dryRun) {
                status.setRollbackOnly();
            }
        });
        int settingChanges = 0;
        for (Snapshot.SettingEntry s : snapshot.settings()) {
            if (!dryRun) {
                settings.set(s.name(), s.value(), by);
            }
            settingChanges++;
        }
        changes.put("settings", new Counts(0, settingChanges));
        if (box == null && !snapshot.accounts().isEmpty()) {
            notes.add("the snapshot carries no secrets: passwords of existing accounts and partners were kept, new "
                    + "accounts have none (public keys only) until one is set");
        }
        return new Report(dryRun, changes, notes);
    }

    private void settingCheck(Snapshot.SettingEntry s) {
        try {
            runtimeSettings.check(s.name(), s.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting '" + s.name() + "': " + e.getMessage());
        }
    }

    private Counts importAccounts(Snapshot snapshot, SnapshotSecrets box, List<String> notes) {
        int created = 0;
        int updated = 0;
        for (Snapshot.AccountEntry a : snapshot.accounts()) {
            String name = a.username();
            try {
                if (accounts.find(name).isPresent()) {
                    accounts.update(name, new AccountService.AccountChanges(null, a.home(), a.permissions(),
                            a.enabled(), a.quotaBytes(), a.quotaFiles(), a.allowedAddresses(), a.deniedAddresses()));
                    updated++;
                } else {
                    accounts.create(new AccountService.NewAccount(name, null, a.home(), a.permissions(), a.enabled(),
                            a.quotaBytes(), a.quotaFiles(), a.allowedAddresses(), a.deniedAddresses()));
                    created++;
                }
                if (box != null && a.passwordHash() != null) {
                    accounts.restorePasswordHash(name, box.openValue("account/" + name + "/passwordHash",
                            a.passwordHash()));
                }
                Set<String> present = new HashSet<>();
                for (AccountKey key : accounts.keys(name)) {
                    present.add(keyMaterial(key.getPublicKey()));
                }
                for (String key : a.publicKeys()) {
                    if (present.add(keyMaterial(key))) {
                        accounts.addKey(name, key);
                    }
                }
            } catch (RuntimeException e) {
                throw refused("account", name, e);
            }
        }
        return new Counts(created, updated);
    }

    /** The key type and base64 blob of an authorized_keys line (its comment may differ). */
    private static String keyMaterial(String line) {
        String[] parts = line.trim().split("\\s+");
        return parts.length >= 2 ? parts[0] + " " + parts[1] : line.trim();
    }

    private Counts importPartners(Snapshot snapshot, SnapshotSecrets box) {
        int created = 0;
        int updated = 0;
        for (Snapshot.PartnerEntry p : snapshot.partners()) {
            String place = "partner/" + p.name() + "/";
            try {
                String password = box == null ? null : box.openValue(place + "password", p.password());
                String privateKey = box == null ? null : box.openValue(place + "privateKey", p.privateKey());
                PartnerService.PartnerRequest request = new PartnerService.PartnerRequest(p.name(), p.protocol(),
                        p.host(), p.port(), p.username(), password, privateKey, p.hostKey(), p.remoteDir(),
                        p.connectTimeoutSeconds(), p.transferTimeoutSeconds(), p.maxParallel(), p.ftpsMode(),
                        p.certificateFingerprint(), p.trustedCertificates());
                if (exists(() -> partners.get(p.name()))) {
                    partners.update(p.name(), request);
                    updated++;
                } else {
                    if (password == null && privateKey == null) {
                        throw new IllegalArgumentException("it is new here and the snapshot carries no password or "
                                + "private key for it: export with secrets encrypted, or create the partner first");
                    }
                    partners.create(request);
                    created++;
                }
            } catch (RuntimeException e) {
                throw refused("partner", p.name(), e);
            }
        }
        return new Counts(created, updated);
    }

    private Counts importRoutes(Snapshot snapshot) {
        int created = 0;
        int updated = 0;
        for (Snapshot.RouteEntry r : snapshot.routes()) {
            try {
                RouteService.RouteRequest request = new RouteService.RouteRequest(r.name(), r.account(), r.pathGlob(),
                        r.partner(), r.copyTo(), r.remoteName(), r.postAction(), r.enabled(), r.pgp());
                if (exists(() -> routes.get(r.name()))) {
                    String defaultName = r.pgp() == null ? "{name}" : r.pgp().defaultName();
                    RouteService.Route wanted = new RouteService.Route(r.name(), r.account(), r.pathGlob(),
                            r.partner(), r.copyTo(), r.remoteName() == null ? defaultName : r.remoteName(),
                            r.postAction() == null ? "keep" : r.postAction(), r.enabled() == null || r.enabled(),
                            r.pgp());
                    if (!routes.get(r.name()).equals(wanted)) {
                        routes.update(r.name(), request);
                        updated++;
                    }
                } else {
                    routes.create(request);
                    created++;
                }
            } catch (RuntimeException e) {
                throw refused("route", r.name(), e);
            }
        }
        return new Counts(created, updated);
    }

    private Counts importSchedules(Snapshot snapshot) {
        int created = 0;
        int updated = 0;
        Instant now = Instant.now();
        for (Snapshot.ScheduleEntry s : snapshot.schedules()) {
            try {
                ScheduleService.ScheduleRequest request = new ScheduleService.ScheduleRequest(s.name(), s.kind(),
                        s.cron(), s.timeZone(), s.partner(), s.account(), s.folder(), s.fileGlob(), s.deleteRemote(),
                        s.postAction(), s.misfire(), s.enabled());
                if (exists(() -> schedules.get(s.name()))) {
                    schedules.update(s.name(), request, now);
                    if (s.enabled() != null) {
                        schedules.setEnabled(s.name(), s.enabled(), now);
                    }
                    updated++;
                } else {
                    schedules.create(request, now);
                    created++;
                }
            } catch (RuntimeException e) {
                throw refused("schedule", s.name(), e);
            }
        }
        return new Counts(created, updated);
    }

    private Counts importMonitors(Snapshot snapshot) {
        int created = 0;
        int updated = 0;
        for (Snapshot.MonitorEntry m : snapshot.monitors()) {
            try {
                FolderMonitorService.MonitorRequest request = new FolderMonitorService.MonitorRequest(m.name(),
                        m.folder(), m.fileGlob(), m.account(), m.targetFolder(), m.stableSeconds(), m.enabled());
                if (exists(() -> monitors.get(m.name()))) {
                    monitors.update(m.name(), request);
                    if (m.enabled() != null) {
                        monitors.setEnabled(m.name(), m.enabled());
                    }
                    updated++;
                } else {
                    monitors.create(request);
                    created++;
                }
            } catch (RuntimeException e) {
                throw refused("monitor", m.name(), e);
            }
        }
        return new Counts(created, updated);
    }

    private static boolean exists(Runnable lookup) {
        try {
            lookup.run();
            return true;
        } catch (io.ferry.transfer.account.AccountNotFoundException e) {
            return false;
        }
    }

    /** A refusal that names the entry; a conflict or a missing reference is a bad snapshot here (400). */
    private static IllegalArgumentException refused(String kind, String name, RuntimeException e) {
        return new IllegalArgumentException(kind + " '" + name + "': " + e.getMessage(), e);
    }
}
