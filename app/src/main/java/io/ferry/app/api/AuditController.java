package io.ferry.app.api;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.audit.AuditLog;

/** The audit log of administrative changes, newest first. */
@RestController
@RequestMapping("/api/v1/audit")
class AuditController {

    private final AuditLog audit;

    AuditController(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping
    List<AuditLog.Entry> search(@RequestParam(required = false) String actor,
            @RequestParam(required = false) String target, @RequestParam(defaultValue = "0") int page,
            @RequestParam(defaultValue = "50") int size) {
        PageView.request(page, size, org.springframework.data.domain.Sort.unsorted());
        return audit.search(blank(actor), blank(target), page * size, size);
    }

    private static String blank(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
