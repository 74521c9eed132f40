package io.ferry.app.web;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.log.Outcome;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferQuery;
import io.ferry.transfer.route.WorkQueue;

/** File tracking: the transfer log with its filters, one transfer's details, and the work items to resubmit. */
@Controller
class TrackingPages {

    private static final int PAGE_SIZE = 50;
    private static final String[] STATES = {"queued", "running", "failed", "done"};

    private final TransferLog transferLog;
    private final WorkQueue queue;

    TrackingPages(TransferLog transferLog, WorkQueue queue) {
        this.transferLog = transferLog;
        this.queue = queue;
    }

    @GetMapping("/transfers")
    String transfers(@RequestParam(required = false) String account, @RequestParam(required = false) String status,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String partner, @RequestParam(required = false) String protocol,
            @RequestParam(required = false) String node, @RequestParam(defaultValue = "0") int page, Model model) {
        model.addAttribute("account", account);
        model.addAttribute("partnerFilter", partner);
        model.addAttribute("protocol", protocol);
        model.addAttribute("nodeFilter", node);
        model.addAttribute("status", status);
        model.addAttribute("from", from);
        model.addAttribute("to", to);
        try {
            TransferQuery query = new TransferQuery(Console.blankToNull(account), Outcome.parse(status),
                    time("from", from), time("to", to), Console.blankToNull(partner), Console.blankToNull(protocol),
                    Console.blankToNull(node));
            model.addAttribute("transfers", transferLog.search(query,
                    PageRequest.of(Math.max(0, page), PAGE_SIZE, Sort.by(Sort.Direction.DESC, "id"))));
        } catch (IllegalArgumentException e) {
            model.addAttribute("error", e.getMessage());
        }
        return "transfers";
    }

    @GetMapping("/transfers/{id}")
    String transfer(@PathVariable long id, Model model) {
        model.addAttribute("transfer", transferLog.find(id)
                .orElseThrow(() -> new AccountNotFoundException("transfer " + id + " not found")));
        return "transfer";
    }

    @GetMapping("/work-items")
    String workItems(@RequestParam(defaultValue = "failed") String state, Model model) {
        String chosen = state.isBlank() || "all".equals(state) ? null : state.trim().toLowerCase(Locale.ROOT);
        model.addAttribute("state", chosen == null ? "all" : chosen);
        model.addAttribute("states", STATES);
        model.addAttribute("items", queue.list(chosen, 200));
        return "work-items";
    }

    @PostMapping("/work-items/{id}/resubmit")
    String resubmit(@PathVariable long id, RedirectAttributes redirect) {
        return Console.apply(redirect, "/work-items", () -> {
            WorkQueue.Item item = queue.resubmit(id);
            return "Work item " + item.id() + " (" + item.kind() + " of " + item.path() + ") resubmitted.";
        });
    }

    /** A time from the filter form ({@code datetime-local}, taken as UTC) or an ISO-8601 instant. */
    private static Instant time(String name, String value) {
        String text = Console.blankToNull(value);
        if (text == null) {
            return null;
        }
        try {
            return text.endsWith("Z") ? Instant.parse(text) : LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a time such as 2026-12-03T10:00 (UTC)");
        }
    }
}
