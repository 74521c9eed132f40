package io.ferry.app.web;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

import io.ferry.app.audit.AuditLog;

/** The audit log: who changed what, when and from where, with the resource before and after. */
@Controller
class AuditPages {

    private static final int PAGE_SIZE = 50;

    private final AuditLog audit;

    AuditPages(AuditLog audit) {
        this.audit = audit;
    }

    @GetMapping("/audit")
    String audit(@RequestParam(required = false) String actor, @RequestParam(required = false) String target,
            @RequestParam(defaultValue = "0") int page, Model model) {
        int current = Math.max(0, page);
        var entries = audit.search(Console.blankToNull(actor), Console.blankToNull(target), current * PAGE_SIZE,
                PAGE_SIZE + 1);
        model.addAttribute("entries", entries.subList(0, Math.min(PAGE_SIZE, entries.size())));
        model.addAttribute("more", entries.size() > PAGE_SIZE);
        model.addAttribute("page", current);
        model.addAttribute("actor", actor);
        model.addAttribute("target", target);
        return "audit";
    }
}
