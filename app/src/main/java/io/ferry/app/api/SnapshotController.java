package io.ferry.app.api;

import io.ferry.app.snapshot.Snapshot;
import io.ferry.app.snapshot.SnapshotService;

import java.util.Locale;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/v1/config/export} and {@code POST /api/v1/config/import}: the whole configuration as a JSON or XML
 * document, for migration and disaster recovery. Both are POSTs, so both need the ADMIN role and both are in the
 * audit log: an export can carry every secret of the cluster (sealed with the caller's passphrase).
 */
@RestController
@RequestMapping("/api/v1/config")
class SnapshotController {

    /** What to export: {@code format} json (default) or xml, {@code secrets} omitted (default) or encrypted. */
    record ExportRequest(String format, String secrets, String passphrase) {
    }

    private final SnapshotService snapshots;

    SnapshotController(SnapshotService snapshots) {
        this.snapshots = snapshots;
    }

    @PostMapping("/export")
    ResponseEntity<byte[]> export(@RequestBody(required = false) ExportRequest request, Authentication user) {
        ExportRequest r = request == null ? new ExportRequest(null, null, null) : request;
        String format = r.format() == null ? "json" : r.format().toLowerCase(Locale.ROOT);
        Snapshot snapshot = snapshots.export(r.secrets() == null ? Snapshot.OMITTED : r.secrets(), r.passphrase(),
                user.getName());
        return SnapshotService.download(snapshots.render(snapshot, format), format, snapshot);
    }

    /**
     * The document as the body (JSON or XML), the passphrase in {@code X-Ferry-Passphrase} when its secrets are
     * encrypted; {@code dryRun=true} reports what would change and changes nothing.
     */
    @PostMapping(value = "/import", consumes = {MediaType.APPLICATION_JSON_VALUE, MediaType.APPLICATION_XML_VALUE,
            MediaType.TEXT_XML_VALUE})
    SnapshotService.Report importSnapshot(@RequestBody String document,
            @RequestHeader(value = "X-Ferry-Passphrase", required = false) String passphrase,
            @RequestParam(defaultValue = "false") boolean dryRun, Authentication user) {
        return snapshots.importSnapshot(snapshots.parse(document), passphrase, dryRun, user.getName());
    }
}
