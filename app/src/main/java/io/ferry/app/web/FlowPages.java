package io.ferry.app.web;

import java.time.Instant;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.partner.PartnerService;
import io.ferry.transfer.pgp.PgpKeys;
import io.ferry.transfer.pgp.PgpStep;
import io.ferry.transfer.route.FolderMonitorService.MonitorRequest;
import io.ferry.transfer.route.FolderMonitorService;
import io.ferry.transfer.route.RouteService.RouteRequest;
import io.ferry.transfer.route.RouteService;
import io.ferry.transfer.route.ScheduleService.ScheduleRequest;
import io.ferry.transfer.route.ScheduleService;
import io.ferry.transfer.work.PrimaryScheduler;

/** What moves files without a partner asking: routes, schedules and folder monitors. */
@Controller
class FlowPages {

    record RouteForm(String name, String account, String pathGlob, String partner, String copyTo, String remoteName,
            String postAction, String pgp, String pgpKey, String pgpSignWith) {

        /** The OpenPGP step the form asks for: {@code pgp} is empty, {@code encrypt} or {@code decrypt}. */
        PgpStep step() {
            String key = Console.blankToNull(pgpKey);
            return switch (pgp == null ? "" : pgp) {
                case "encrypt" -> new PgpStep(key, Console.blankToNull(pgpSignWith), false, null);
                case "decrypt" -> new PgpStep(null, null, true, key);
                default -> null;
            };
        }
    }

    record ScheduleForm(String name, String kind, String cron, String timeZone, String partner, String account,
            String folder, String fileGlob, Boolean deleteRemote, String postAction, String misfire) {
    }

    record MonitorForm(String name, String folder, String fileGlob, String account, String targetFolder,
            Integer stableSeconds) {
    }

    private final RouteService routes;
    private final ScheduleService schedules;
    private final FolderMonitorService monitors;
    private final PrimaryScheduler scheduler;
    private final PartnerService partners;
    private final PgpKeys pgpKeys;

    FlowPages(RouteService routes, ScheduleService schedules, FolderMonitorService monitors,
            PrimaryScheduler scheduler, PartnerService partners, PgpKeys pgpKeys) {
        this.pgpKeys = pgpKeys;
        this.routes = routes;
        this.schedules = schedules;
        this.monitors = monitors;
        this.scheduler = scheduler;
        this.partners = partners;
    }

    @GetMapping("/routes")
    String routes(@RequestParam(required = false) String edit, Model model) {
        model.addAttribute("routes", routes.list());
        model.addAttribute("editing", edit == null ? null : routes.get(edit));
        model.addAttribute("partners", partners.list());
        model.addAttribute("pgpKeys", pgpKeys.list());
        return "routes";
    }

    @PostMapping("/routes")
    String createRoute(RouteForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/routes", () -> "Route " + routes.create(new RouteRequest(
                Console.blankToNull(f.name()), Console.blankToNull(f.account()), Console.blankToNull(f.pathGlob()),
                Console.blankToNull(f.partner()), Console.blankToNull(f.copyTo()), Console.blankToNull(f.remoteName()),
                Console.blankToNull(f.postAction()), true, f.step())).name() + " added.");
    }

    @PostMapping("/routes/{name}")
    String updateRoute(@PathVariable String name, RouteForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/routes", () -> "Route " + routes.update(name, new RouteRequest(null,
                Console.blankToNull(f.account()), Console.blankToNull(f.pathGlob()), Console.blankToNull(f.partner()),
                Console.blankToNull(f.copyTo()), Console.blankToNull(f.remoteName()),
                Console.blankToNull(f.postAction()) == null ? "keep" : f.postAction(), null, f.step())).name()
                + " changed.");
    }

    @PostMapping("/routes/{name}/enabled")
    String enableRoute(@PathVariable String name, @RequestParam boolean enabled, RedirectAttributes redirect) {
        return Console.apply(redirect, "/routes", () -> {
            routes.update(name, new RouteRequest(null, null, null, null, null, null, null, enabled, null));
            return "Route " + name + (enabled ? " enabled." : " disabled: uploads it matches are not routed.");
        });
    }

    @PostMapping("/routes/{name}/delete")
    String deleteRoute(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/routes", () -> {
            routes.delete(name);
            return "Route " + name + " deleted.";
        });
    }

    @GetMapping("/schedules")
    String schedules(@RequestParam(required = false) String fires, @RequestParam(required = false) String edit,
            Model model) {
        model.addAttribute("schedules", schedules.list());
        model.addAttribute("editing", edit == null ? null : schedules.get(edit));
        model.addAttribute("partners", partners.list());
        if (fires != null) {
            model.addAttribute("firesOf", fires);
            model.addAttribute("fires", schedules.fires(fires, 50));
        }
        return "schedules";
    }

    @PostMapping("/schedules")
    String createSchedule(ScheduleForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/schedules", () -> "Schedule " + schedules.create(new ScheduleRequest(
                Console.blankToNull(f.name()), Console.blankToNull(f.kind()), Console.blankToNull(f.cron()),
                Console.blankToNull(f.timeZone()), Console.blankToNull(f.partner()), Console.blankToNull(f.account()),
                Console.blankToNull(f.folder()), Console.blankToNull(f.fileGlob()),
                Boolean.TRUE.equals(f.deleteRemote()), Console.blankToNull(f.postAction()),
                Console.blankToNull(f.misfire()), true), Instant.now()).name() + " added.");
    }

    /** A change from the form; a new cron or time zone counts from its next fire. */
    @PostMapping("/schedules/{name}")
    String updateSchedule(@PathVariable String name, ScheduleForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/schedules", () -> {
            String kind = Console.blankToNull(f.kind()) == null ? schedules.get(name).kind() : f.kind();
            // the form's "keep" is blank; a push's blank means keep, a pull has no post-action of its own
            String postAction = Console.blankToNull(f.postAction()) == null && kind.equals("push") ? "keep"
                    : Console.blankToNull(f.postAction());
            return "Schedule " + schedules.update(name, new ScheduleRequest(null, Console.blankToNull(f.kind()),
                    Console.blankToNull(f.cron()), Console.blankToNull(f.timeZone()), Console.blankToNull(f.partner()),
                    Console.blankToNull(f.account()), Console.blankToNull(f.folder()),
                    Console.blankToNull(f.fileGlob()), Boolean.TRUE.equals(f.deleteRemote()), postAction,
                    Console.blankToNull(f.misfire()), null), Instant.now()).name() + " changed.";
        });
    }

    @PostMapping("/schedules/{name}/enabled")
    String enableSchedule(@PathVariable String name, @RequestParam boolean enabled, RedirectAttributes redirect) {
        return Console.apply(redirect, "/schedules", () -> {
            schedules.setEnabled(name, enabled, Instant.now());
            return "Schedule " + name + (enabled ? " enabled." : " disabled.");
        });
    }

    @PostMapping("/schedules/{name}/run")
    String runSchedule(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/schedules?fires=" + name, () -> {
            ScheduleService.Fire fire = scheduler.runNow(name);
            return "Schedule " + name + " ran now: " + fire.items() + " work item" + (fire.items() == 1 ? "" : "s")
                    + " queued.";
        });
    }

    @PostMapping("/schedules/{name}/delete")
    String deleteSchedule(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/schedules", () -> {
            schedules.delete(name);
            return "Schedule " + name + " deleted.";
        });
    }

    @GetMapping("/monitors")
    String monitors(@RequestParam(required = false) String edit, Model model) {
        model.addAttribute("monitors", monitors.list());
        model.addAttribute("editing", edit == null ? null : monitors.get(edit));
        model.addAttribute("root", monitors.root().map(Object::toString).orElse(null));
        return "monitors";
    }

    @PostMapping("/monitors")
    String createMonitor(MonitorForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/monitors", () -> "Folder monitor " + monitors.create(new MonitorRequest(
                Console.blankToNull(f.name()), Console.blankToNull(f.folder()), Console.blankToNull(f.fileGlob()),
                Console.blankToNull(f.account()), Console.blankToNull(f.targetFolder()), f.stableSeconds(), true))
                .name() + " added.");
    }

    @PostMapping("/monitors/{name}")
    String updateMonitor(@PathVariable String name, MonitorForm f, RedirectAttributes redirect) {
        return Console.apply(redirect, "/monitors", () -> "Folder monitor " + monitors.update(name, new MonitorRequest(
                null, Console.blankToNull(f.folder()), Console.blankToNull(f.fileGlob()),
                Console.blankToNull(f.account()), Console.blankToNull(f.targetFolder()), f.stableSeconds(), null))
                .name() + " changed.");
    }

    @PostMapping("/monitors/{name}/enabled")
    String enableMonitor(@PathVariable String name, @RequestParam boolean enabled, RedirectAttributes redirect) {
        return Console.apply(redirect, "/monitors", () -> {
            monitors.setEnabled(name, enabled);
            return "Folder monitor " + name + (enabled ? " enabled." : " disabled.");
        });
    }

    @PostMapping("/monitors/{name}/delete")
    String deleteMonitor(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/monitors", () -> {
            monitors.delete(name);
            return "Folder monitor " + name + " deleted.";
        });
    }
}
