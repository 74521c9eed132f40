package io.ferry.app.web;

import java.security.Principal;
import java.security.cert.X509Certificate;
import java.time.Duration;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.cluster.SettingsService;
import io.ferry.app.snapshot.Snapshot;
import io.ferry.app.snapshot.SnapshotService;
import io.ferry.app.defender.DefenderProperties;
import io.ferry.transfer.ftp.FtpsProperties;
import io.ferry.transfer.ftp.TlsCertificateStore;
import io.ferry.transfer.node.Defender;
import io.ferry.transfer.sftp.HostKeyStore;

/**
 * Settings: the cluster's identity (SSH host keys, the TLS certificate), the settings that change at run time, and
 * the defender (its configuration and the bans in force).
 */
@Controller
class SettingsPages {

    /** What the page shows of the TLS certificate partners see. */
    record Certificate(String subject, String issuer, String notBefore, String notAfter, String fingerprint,
            int chainLength) {
    }

    private final SettingsService settings;
    private final HostKeyStore hostKeys;
    private final TlsCertificateStore certificates;
    private final FtpsProperties ftps;
    private final Defender defender;
    private final DefenderProperties defenderProperties;
    private final Formats fmt;
    private final SnapshotService snapshots;
    private final io.ferry.app.cluster.FtpsCertificates ftpsCertificates;

    SettingsPages(SettingsService settings, HostKeyStore hostKeys, TlsCertificateStore certificates,
            FtpsProperties ftps, Defender defender, DefenderProperties defenderProperties, Formats fmt,
            SnapshotService snapshots, io.ferry.app.cluster.FtpsCertificates ftpsCertificates) {
        this.snapshots = snapshots;
        this.ftpsCertificates = ftpsCertificates;
        this.settings = settings;
        this.hostKeys = hostKeys;
        this.certificates = certificates;
        this.ftps = ftps;
        this.defender = defender;
        this.defenderProperties = defenderProperties;
        this.fmt = fmt;
    }

    @GetMapping("/settings")
    String settings(Model model) {
        TlsCertificateStore.Identity identity = certificates.load(ftps);
        X509Certificate leaf = identity.chain().get(0);
        model.addAttribute("settings", settings.list());
        model.addAttribute("hostKeys", hostKeys.fingerprints());
        model.addAttribute("certificate", new Certificate(leaf.getSubjectX500Principal().getName(),
                leaf.getIssuerX500Principal().getName(), fmt.time(leaf.getNotBefore().toInstant()),
                fmt.time(leaf.getNotAfter().toInstant()), identity.fingerprint(), identity.chain().size()));
        model.addAttribute("defender", defenderProperties);
        boolean cluster = defender instanceof io.ferry.app.defender.ClusterDefender;
        model.addAttribute("defenderMaxFailures", cluster ? ((io.ferry.app.defender.ClusterDefender) defender)
                .maxFailures() : defenderProperties.maxFailures());
        model.addAttribute("defenderBanTime", cluster ? ((io.ferry.app.defender.ClusterDefender) defender).banTime()
                : defenderProperties.banTime());
        model.addAttribute("bans", defender.bans());
        return "settings";
    }

    @PostMapping("/settings/{name}")
    String set(@PathVariable String name, @RequestParam String value, Principal who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> {
            SettingsService.SettingView set = settings.set(name, value.trim(), who.getName());
            return "Setting " + name + " is " + set.value() + " on every node within a second.";
        });
    }

    @PostMapping("/settings/{name}/reset")
    String reset(@PathVariable String name, Principal who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> {
            SettingsService.SettingView reset = settings.reset(name, who.getName());
            return "Setting " + name + " is back to its configured value " + reset.value() + ".";
        });
    }

    /** A new FTPS certificate (PEM chain and key) for the whole cluster; every node presents it to new sessions. */
    @PostMapping("/settings/certificate")
    String replaceCertificate(@RequestParam String certificate, @RequestParam String key,
            @RequestParam(required = false) String password, RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> {
            String fingerprint = ftpsCertificates.replace(certificate, key, password);
            return "The FTPS certificate is replaced on every node (SHA-256 " + fingerprint + "). Partners that pin "
                    + "the old one must pin this one; restart the edges so that they present it too.";
        });
    }

    @PostMapping("/settings/bans")
    String ban(@RequestParam String address, @RequestParam(defaultValue = "60") long minutes,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> {
            String trimmed = address.trim();
            if (trimmed.isEmpty() || minutes < 1) {
                throw new IllegalArgumentException("give an address and a ban of at least one minute");
            }
            defender.ban(trimmed, Duration.ofMinutes(minutes), "banned from the console");
            return trimmed + " is banned for " + minutes + " minutes on every node and edge.";
        });
    }

    @PostMapping("/settings/bans/unban")
    String unban(@RequestParam String address, RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> defender.unban(address)
                ? "The ban on " + address + " is lifted." : address + " was not banned.");
    }

    /** The configuration as a download; a refusal (a short passphrase) comes back to the page as a message. */
    @PostMapping("/settings/export")
    Object export(@RequestParam(defaultValue = "json") String format, @RequestParam(defaultValue = "omitted")
            String secrets, @RequestParam(required = false) String passphrase, Principal who,
            RedirectAttributes redirect) {
        try {
            Snapshot snapshot = snapshots.export(secrets, passphrase, who.getName());
            String body = snapshots.render(snapshot, format);
            return SnapshotService.download(body, format, snapshot);
        } catch (IllegalArgumentException e) {
            redirect.addFlashAttribute("error", e.getMessage());
            return "redirect:/settings";
        }
    }

    @PostMapping(value = "/settings/import", consumes = org.springframework.http.MediaType.MULTIPART_FORM_DATA_VALUE)
    String importSnapshot(@RequestParam("file") org.springframework.web.multipart.MultipartFile file,
            @RequestParam(required = false) String passphrase, @RequestParam(defaultValue = "false") boolean dryRun,
            Principal who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/settings", () -> {
            if (file.isEmpty()) {
                throw new IllegalArgumentException("choose a configuration file to import");
            }
            String document = new String(file.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
            SnapshotService.Report report = snapshots.importSnapshot(snapshots.parse(document), passphrase, dryRun,
                    who.getName());
            StringBuilder message = new StringBuilder(dryRun ? "Dry run, nothing changed. It would bring "
                    : "Imported ").append(file.getOriginalFilename()).append(dryRun ? ": " : ": ");
            java.util.List<String> parts = new java.util.ArrayList<>();
            report.changes().forEach((kind, counts) -> parts.add(kind + " " + counts.created() + " new, "
                    + counts.updated() + " existing set as in the file"));
            message.append(String.join("; ", parts)).append('.');
            report.notes().forEach(note -> message.append(' ').append(Character.toUpperCase(note.charAt(0)))
                    .append(note.substring(1)).append('.'));
            return message.toString();
        });
    }
}
