package io.ferry.app.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.node.Defender;

/** The cluster's bans: automatic ones (failed logins) and an administrator's own; edges follow them. */
@RestController
@RequestMapping("/api/v1/defender/bans")
class DefenderController {

    record Ban(String address, Instant until) {
    }

    record BanRequest(String address, Long minutes, String reason) {
    }

    private final Defender defender;

    DefenderController(Defender defender) {
        this.defender = defender;
    }

    @GetMapping
    List<Ban> list() {
        return defender.bans().entrySet().stream().map(e -> new Ban(e.getKey(), e.getValue()))
                .sorted(Comparator.comparing(Ban::address)).toList();
    }

    @PostMapping
    ResponseEntity<Ban> ban(@RequestBody BanRequest body) {
        if (body == null || body.address() == null || !body.address().matches("[0-9A-Fa-f.:]{2,45}")) {
            throw new IllegalArgumentException("address must be an IPv4 or IPv6 address");
        }
        long minutes = body.minutes() == null ? 60 : body.minutes();
        if (minutes < 1 || minutes > 7L * 24 * 60) {
            throw new IllegalArgumentException("minutes must be 1-10080 (a week)");
        }
        defender.ban(body.address(), Duration.ofMinutes(minutes),
                body.reason() == null || body.reason().isBlank() ? "banned by an administrator" : body.reason());
        return defender.bannedUntil(body.address()).map(until -> ResponseEntity.status(HttpStatus.CREATED)
                .body(new Ban(body.address(), until)))
                .orElseThrow(() -> new IllegalStateException(body.address() + " is on the allow-list (or the"
                        + " defender is off): not banned"));
    }

    @DeleteMapping("/{address}")
    ResponseEntity<Object> unban(@PathVariable String address) {
        if (defender.unban(address)) {
            return ResponseEntity.noContent().build();
        }
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                address + " is not banned"));
    }
}
