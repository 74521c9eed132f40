package io.ferry.app.api;

import java.net.URI;
import java.time.Instant;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.notify.Expectations;
import io.ferry.transfer.notify.Notifications;

/** Expected files with their judged deadlines, who is mailed about which event, and the events notified. */
@RestController
@RequestMapping("/api/v1")
class NotificationController {

    /** Who is mailed about an event: 1-20 e-mail addresses. */
    record RuleRequest(List<String> recipients) {
    }

    /** Which event's recipients get a test mail. */
    record TestRequest(String event) {
    }

    /** Who the test mail went to. */
    record TestResult(String event, List<String> recipients) {
    }

    private final Expectations expectations;
    private final Notifications notifications;

    NotificationController(Expectations expectations, Notifications notifications) {
        this.expectations = expectations;
        this.notifications = notifications;
    }

    @PostMapping("/expectations")
    ResponseEntity<Expectations.Expectation> create(@RequestBody Expectations.ExpectationRequest body) {
        Expectations.Expectation created = expectations.create(body, Instant.now());
        return ResponseEntity.created(URI.create("/api/v1/expectations/" + created.name())).body(created);
    }

    @GetMapping("/expectations")
    List<Expectations.Expectation> list() {
        return expectations.list();
    }

    @GetMapping("/expectations/{name}")
    Expectations.Expectation get(@PathVariable String name) {
        return expectations.get(name);
    }

    /** Changes the fields given; deadlines after now are judged by the new ones. */
    @PatchMapping("/expectations/{name}")
    Expectations.Expectation update(@PathVariable String name, @RequestBody Expectations.ExpectationRequest body) {
        return expectations.update(name, body, Instant.now());
    }

    @DeleteMapping("/expectations/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        expectations.delete(name);
        return ResponseEntity.noContent().build();
    }

    /** The latest judged deadlines, newest first: met or missed. */
    @GetMapping("/expectations/{name}/checks")
    List<Expectations.Check> checks(@PathVariable String name, @RequestParam(defaultValue = "100") int limit) {
        return expectations.checks(name, limit);
    }

    @GetMapping("/notifications/rules")
    List<Notifications.Rule> rules() {
        return notifications.rules();
    }

    @GetMapping("/notifications/rules/{event}")
    Notifications.Rule rule(@PathVariable String event) {
        return notifications.rule(event);
    }

    /** Sets who is mailed about the event (replacing whom it had). */
    @PutMapping("/notifications/rules/{event}")
    Notifications.Rule putRule(@PathVariable String event, @RequestBody RuleRequest body) {
        return notifications.putRule(event, body.recipients());
    }

    @DeleteMapping("/notifications/rules/{event}")
    ResponseEntity<Void> deleteRule(@PathVariable String event) {
        notifications.deleteRule(event);
        return ResponseEntity.noContent().build();
    }

    /** The latest notified events, newest first; only one event's with {@code event}. */
    @GetMapping("/notifications/events")
    List<Notifications.Event> events(@RequestParam(required = false) String event,
            @RequestParam(defaultValue = "100") int limit) {
        return notifications.events(event, limit);
    }

    /** Mails a test message to the event's recipients now: 409 without a mail server or when it refused. */
    @PostMapping("/notifications/test")
    TestResult test(@RequestBody TestRequest body) {
        return new TestResult(body.event(), notifications.sendTest(body.event()));
    }
}
