package io.ferry.app.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

import org.springframework.data.domain.Sort;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.log.Outcome;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferQuery;
import io.ferry.transfer.log.TransferRecord;

/** The transfer log, newest first. */
@RestController
@RequestMapping("/api/v1/transfers")
class TransferController {

    record TransferView(long id, String node, String protocol, String sessionId, String account, String path,
            String direction, long startOffset, long bytes, String sha256, Instant startedAt, Instant endedAt,
            String status, String error, String clientAddress, String tls, String edge, Long derivedFrom) {

        static TransferView of(TransferRecord r) {
            return new TransferView(r.getId(), r.getNode(), r.getProtocol(), r.getSessionId(), r.getAccount(),
                    r.getPath(), r.getDirection().name().toLowerCase(Locale.ROOT), r.getStartOffset(), r.getBytes(),
                    r.getSha256(), r.getStartedAt(), r.getEndedAt(), r.getOutcome().name().toLowerCase(Locale.ROOT),
                    r.getError(), r.getClientAddress(), r.getTls(), r.getEdge(), r.getDerivedFrom());
        }
    }

    private final TransferLog transferLog;

    TransferController(TransferLog transferLog) {
        this.transferLog = transferLog;
    }

    @GetMapping
    PageView<TransferView> search(@RequestParam(required = false) String account,
            @RequestParam(required = false) String status, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to, @RequestParam(required = false) String partner,
            @RequestParam(required = false) String protocol, @RequestParam(required = false) String node,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
        TransferQuery query = new TransferQuery(blankToNull(account), Outcome.parse(status), instant("from", from),
                instant("to", to), blankToNull(partner), blankToNull(protocol), blankToNull(node));
        return PageView.of(transferLog.search(query, PageView.request(page, size, Sort.by(Sort.Direction.DESC, "id"))),
                TransferView::of);
    }

    private static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be an ISO-8601 instant such as 2026-11-25T10:00:00Z");
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
