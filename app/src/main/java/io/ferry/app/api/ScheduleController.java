package io.ferry.app.api;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.route.FolderMonitorService;
import io.ferry.transfer.route.ScheduleService;
import io.ferry.transfer.work.PrimaryScheduler;

/** Schedules (cron pulls and pushes) with their fires, and folder monitors. */
@RestController
@RequestMapping("/api/v1")
class ScheduleController {

    private final ScheduleService schedules;
    private final FolderMonitorService monitors;
    private final PrimaryScheduler scheduler;

    ScheduleController(ScheduleService schedules, FolderMonitorService monitors, PrimaryScheduler scheduler) {
        this.schedules = schedules;
        this.monitors = monitors;
        this.scheduler = scheduler;
    }

    @PostMapping("/schedules")
    ResponseEntity<ScheduleService.Schedule> create(@RequestBody ScheduleService.ScheduleRequest body) {
        ScheduleService.Schedule schedule = schedules.create(body, Instant.now());
        return ResponseEntity.created(URI.create("/api/v1/schedules/" + schedule.name())).body(schedule);
    }

    @GetMapping("/schedules")
    List<ScheduleService.Schedule> list() {
        return schedules.list();
    }

    @GetMapping("/schedules/{name}")
    ScheduleService.Schedule get(@PathVariable String name) {
        return schedules.get(name);
    }

    /** Changes the fields given; a new cron or time zone starts from its next fire after now. */
    @PatchMapping("/schedules/{name}")
    ScheduleService.Schedule update(@PathVariable String name, @RequestBody ScheduleService.ScheduleRequest body) {
        return schedules.update(name, body, Instant.now());
    }

    @DeleteMapping("/schedules/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        schedules.delete(name);
        return ResponseEntity.noContent().build();
    }

    /** {@code {"enabled": false}} pauses a schedule; enabling it again starts from its next fire (none caught up). */
    @PostMapping("/schedules/{name}/enabled")
    ScheduleService.Schedule enable(@PathVariable String name, @RequestBody Map<String, Boolean> body) {
        return schedules.setEnabled(name, enabled(body), Instant.now());
    }

    private static boolean enabled(Map<String, Boolean> body) {
        Boolean enabled = body.get("enabled");
        if (enabled == null) {
            throw new IllegalArgumentException("give {\"enabled\": true|false}");
        }
        return enabled;
    }

    /** Runs the schedule now, outside its cron (its next fire stays as it was). */
    @PostMapping("/schedules/{name}/run")
    ScheduleService.Fire run(@PathVariable String name) throws IOException {
        return scheduler.runNow(name);
    }

    /** The latest fires, newest first: time, outcome (fired, skipped, manual), missed fires, node and token. */
    @GetMapping("/schedules/{name}/fires")
    List<ScheduleService.Fire> fires(@PathVariable String name, @RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1-1000");
        }
        return schedules.fires(name, limit);
    }

    @PostMapping("/monitors")
    ResponseEntity<FolderMonitorService.Monitor> createMonitor(
            @RequestBody FolderMonitorService.MonitorRequest body) {
        FolderMonitorService.Monitor monitor = monitors.create(body);
        return ResponseEntity.created(URI.create("/api/v1/monitors/" + monitor.name())).body(monitor);
    }

    @GetMapping("/monitors")
    List<FolderMonitorService.Monitor> monitors() {
        return monitors.list();
    }

    @GetMapping("/monitors/{name}")
    FolderMonitorService.Monitor monitor(@PathVariable String name) {
        return monitors.get(name);
    }

    @PostMapping("/monitors/{name}/enabled")
    FolderMonitorService.Monitor enableMonitor(@PathVariable String name, @RequestBody Map<String, Boolean> body) {
        return monitors.setEnabled(name, enabled(body));
    }

    @PatchMapping("/monitors/{name}")
    FolderMonitorService.Monitor updateMonitor(@PathVariable String name,
            @RequestBody FolderMonitorService.MonitorRequest body) {
        return monitors.update(name, body);
    }

    @DeleteMapping("/monitors/{name}")
    ResponseEntity<Void> deleteMonitor(@PathVariable String name) {
        monitors.delete(name);
        return ResponseEntity.noContent().build();
    }
}
