package io.ferry.app.api;

import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.cluster.ClusterRoles;
import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryLease;

/** The cluster: its members and their roles, the primary lease, the role history, and handing the role over. */
@RestController
@RequestMapping("/api/v1/cluster")
class ClusterController {

    private static final Duration HANDOFF_WAIT = Duration.ofSeconds(15);

    record PrimaryView(String node, long token, LocalDateTime expiresAt) {
    }

    record MemberView(String node, String role, String mode, boolean serving, String drain, int sessions,
            long clockSkewMillis, String settings, String version, String startedAt) {
    }

    record DrainRequest(Long timeoutSeconds) {
    }

    record ClusterView(String node, String mode, PrimaryView primary, List<MemberView> members,
            List<PrimaryLease.RoleChange> history, List<Map<String, Object>> events) {
    }

    record HandoffRequest(String node) {
    }

    private final ClusterNode node;
    private final ClusterRoles roles;
    private final PrimaryLease lease;

    ClusterController(ClusterNode node, ClusterRoles roles, PrimaryLease lease) {
        this.node = node;
        this.roles = roles;
        this.lease = lease;
    }

    @GetMapping
    ClusterView get() throws SQLException {
        Map<String, Map<String, String>> info = node.nodesInfo();
        PrimaryView primary = primary().orElse(null);
        List<MemberView> members = new ArrayList<>();
        for (String id : node.memberNodeIds().stream().sorted().toList()) {
            Map<String, String> i = info.getOrDefault(id, Map.of());
            // the role is what the lease says, not what a node last published about itself
            String role = primary != null && primary.node().equals(id) ? "primary" : "standby";
            members.add(new MemberView(id, role, i.get("mode"), Boolean.parseBoolean(i.get("serving")),
                    i.getOrDefault("drain", "active"), Integer.parseInt(i.getOrDefault("sessions", "0")),
                    Long.parseLong(i.getOrDefault("clockSkewMillis", "0")), i.get("settings"), i.get("version"),
                    i.get("startedAt")));
        }
        return new ClusterView(node.nodeId(), roles.mode().toString(), primary, members, lease.history(20),
                lease.events(20));
    }

    /**
     * Hands the primary role to the named member: the primary stops its primary work, releases the lease for that
     * member alone, and the member takes it. Answers once the member holds it.
     */
    @PostMapping("/primary")
    ResponseEntity<?> handOff(@RequestBody HandoffRequest request) throws Exception {
        String target = request.node();
        if (target == null || !node.memberNodeIds().contains(target)) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(
                    HttpStatus.NOT_FOUND, "no member '" + target + "' in the cluster " + node.memberNodeIds()));
        }
        Optional<PrimaryView> now = primary();
        if (now.isPresent() && now.get().node().equals(target)) {
            return ResponseEntity.ok(now.get());
        }
        roles.requestHandoff(target);
        long deadline = System.nanoTime() + HANDOFF_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<PrimaryView> primary = primary();
            if (primary.isPresent() && primary.get().node().equals(target)) {
                return ResponseEntity.ok(primary.get());
            }
            Thread.sleep(100);
        }
        return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT).body(ProblemDetail.forStatusAndDetail(
                HttpStatus.GATEWAY_TIMEOUT, target + " did not take the primary role within " + HANDOFF_WAIT.toSeconds()
                        + " s; the role stays where the lease says (GET /api/v1/cluster)"));
    }

    /**
     * Drains a node: it stops taking new sessions, hands the primary role on if it has it, lets its open sessions
     * finish (they are closed after {@code timeoutSeconds}, default 600) and then reports {@code drained} in
     * {@code GET /api/v1/cluster}. Answers at once (202).
     */
    @PostMapping("/nodes/{id}/drain")
    ResponseEntity<?> drain(@org.springframework.web.bind.annotation.PathVariable String id,
            @RequestBody(required = false) DrainRequest request) {
        if (!node.memberNodeIds().contains(id)) {
            return notMember(id);
        }
        long timeout = request == null || request.timeoutSeconds() == null ? 600 : request.timeoutSeconds();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeoutSeconds must not be negative");
        }
        roles.requestDrain(id, Duration.ofSeconds(timeout));
        return ResponseEntity.accepted().body(Map.of("node", id, "drain", "draining", "timeoutSeconds", timeout));
    }

    /** Puts a drained (or draining) node back in service. */
    @PostMapping("/nodes/{id}/undrain")
    ResponseEntity<?> undrain(@org.springframework.web.bind.annotation.PathVariable String id) {
        if (!node.memberNodeIds().contains(id)) {
            return notMember(id);
        }
        roles.requestUndrain(id);
        return ResponseEntity.accepted().body(Map.of("node", id, "drain", "active"));
    }

    private ResponseEntity<?> notMember(String id) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                "no member '" + id + "' in the cluster " + node.memberNodeIds()));
    }

    private Optional<PrimaryView> primary() throws SQLException {
        return lease.state().filter(PrimaryLease.State::held)
                .map(s -> new PrimaryView(s.holder(), s.token(), s.expiresAt()));
    }
}
