package io.ferry.app.web;

import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.notify.Expectations;
import io.ferry.transfer.notify.Expectations.ExpectationRequest;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.partner.PartnerService;

/** Expected files with their latest judged deadline, who is mailed about which event, and the latest events. */
@Controller
class ExpectationPages {

    record ExpectationForm(String name, String kind, String account, String folder, String pattern, String partner,
            String time, List<String> days, String timeZone) {
    }

    private static final List<String> WEEK_DAYS = List.of("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN");

    private final Expectations expectations;
    private final Notifications notifications;
    private final PartnerService partners;

    ExpectationPages(Expectations expectations, Notifications notifications, PartnerService partners) {
        this.expectations = expectations;
        this.notifications = notifications;
        this.partners = partners;
    }

    @GetMapping("/expectations")
    String expectations(@RequestParam(required = false) String checks, Model model) {
        model.addAttribute("expectations", expectations.list());
        model.addAttribute("partners", partners.list());
        model.addAttribute("weekDays", WEEK_DAYS);
        Map<String, List<String>> mailedTo = new LinkedHashMap<>();
        Notifications.EVENTS.forEach(event -> mailedTo.put(event, List.of()));
        notifications.rules().forEach(rule -> mailedTo.put(rule.event(), rule.recipients()));
        model.addAttribute("mailedTo", mailedTo);
        model.addAttribute("events", notifications.events(null, 50));
        model.addAttribute("mailEnabled", notifications.mailEnabled());
        if (checks != null) {
            model.addAttribute("checksOf", checks);
            model.addAttribute("checks", expectations.checks(checks, 50));
        }
        return "expectations";
    }

    @PostMapping("/expectations")
    String create(ExpectationForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/expectations", () -> {
            boolean arrival = !"delivery".equals(f.kind());
            return "Expectation " + expectations.create(new ExpectationRequest(Console.blankToNull(f.name()),
                    arrival ? "arrival" : "delivery", arrival ? Console.blankToNull(f.account()) : null,
                    arrival ? Console.blankToNull(f.folder()) : null, arrival ? Console.blankToNull(f.pattern()) : null,
                    arrival ? null : Console.blankToNull(f.partner()), Console.blankToNull(f.time()),
                    f.days() == null || f.days().isEmpty() ? null : f.days(), Console.blankToNull(f.timeZone()), true),
                    Instant.now()).name() + " added.";
        });
    }

    @PostMapping("/expectations/{name}/enabled")
    String enable(@PathVariable String name, @RequestParam boolean enabled, RedirectAttributes redirect) {
        return Console.apply(redirect, "/expectations", () -> {
            expectations.update(name, new ExpectationRequest(null, null, null, null, null, null, null, null, null,
                    enabled), Instant.now());
            return "Expectation " + name + (enabled ? " enabled." : " disabled.");
        });
    }

    @PostMapping("/expectations/{name}/delete")
    String delete(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/expectations", () -> {
            expectations.delete(name);
            return "Expectation " + name + " deleted.";
        });
    }

    /** Sets an event's recipients (comma- or space-separated); none removes the rule. */
    @PostMapping("/notifications/rules")
    String rule(@RequestParam String event, @RequestParam(defaultValue = "") String recipients,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/expectations", () -> {
            List<String> addresses = Arrays.stream(recipients.split("[,\\s]+")).filter(s -> !s.isBlank()).toList();
            if (addresses.isEmpty()) {
                notifications.deleteRule(event);
                return "Nobody is mailed about " + event + " any more.";
            }
            return "Mail about " + event + " goes to " + String.join(", ",
                    notifications.putRule(event, addresses).recipients()) + ".";
        });
    }

    @PostMapping("/notifications/test")
    String test(@RequestParam String event, RedirectAttributes redirect) {
        return Console.apply(redirect, "/expectations", () -> "A test mail about " + event + " went to "
                + String.join(", ", notifications.sendTest(event)) + ".");
    }
}
