package io.ferry.app.api;

import java.sql.SQLException;
import java.time.Duration;
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

import io.ferry.app.cluster.ClusterOverview;
import io.ferry.cluster.PrimaryLease;

/** The cluster: its members and their roles, the primary lease, the role history, and handing the role over. */
@RestController
@RequestMapping("/api/v1/cluster")
class ClusterController {


    record DrainRequest(Long timeoutSeconds) {
    }

    record ClusterView(String node, String mode, ClusterOverview.Primary primary, List<ClusterOverview.Member> members,
            List<PrimaryLease.RoleChange> history, List<Map<String, Object>> events) {
    }

    record HandoffRequest(String node) {
    }

    private final ClusterOverview cluster;

    ClusterController(ClusterOverview cluster) {
        this.cluster = cluster;
    }

    @GetMapping
    ClusterView get() throws SQLException {
        return new ClusterView(cluster.nodeId(), cluster.mode(), cluster.primary().orElse(null), cluster.members(),
                cluster.history(20), cluster.events(20));
    }

    /**
     * Hands the primary role to the named member: the primary stops its primary work, releases the lease for that
     * member alone, and the member takes it. Answers once the member holds it.
     */
    @PostMapping("/primary")
    ResponseEntity<?> handOff(@RequestBody HandoffRequest request) throws Exception {
        String target = request.node();
        if (target == null || !cluster.isMember(target)) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(
                    HttpStatus.NOT_FOUND, "no member '" + target + "' in the cluster " + cluster.memberIds()));
        }
        Optional<ClusterOverview.Primary> taken = cluster.handOff(target);
        if (taken.isPresent()) {
            return ResponseEntity.ok(taken.get());
        }
        return ResponseEntity.status(HttpStatus.GATEWAY_TIMEOUT).body(ProblemDetail.forStatusAndDetail(
                HttpStatus.GATEWAY_TIMEOUT, target + " did not take the primary role within "
                        + ClusterOverview.HANDOFF_WAIT.toSeconds()
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
        if (!cluster.isMember(id)) {
            return notMember(id);
        }
        long timeout = request == null || request.timeoutSeconds() == null ? 600 : request.timeoutSeconds();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeoutSeconds must not be negative");
        }
        if (!cluster.drain(id, Duration.ofSeconds(timeout))) {
            return notMember(id);
        }
        return ResponseEntity.accepted().body(Map.of("node", id, "drain", "draining", "timeoutSeconds", timeout));
    }

    /** Puts a drained (or draining) node back in service. */
    @PostMapping("/nodes/{id}/undrain")
    ResponseEntity<?> undrain(@org.springframework.web.bind.annotation.PathVariable String id) {
        if (!cluster.undrain(id)) {
            return notMember(id);
        }
        return ResponseEntity.accepted().body(Map.of("node", id, "drain", "active"));
    }

    private ResponseEntity<?> notMember(String id) {
        return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND,
                "no member '" + id + "' in the cluster " + cluster.memberIds()));
    }
}
