package io.ferry.app.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.cluster.ClusterRoles;
import io.ferry.cluster.ClusterNode;

/**
 * The live partner sessions of every node: this node's as they are now, the others' as they published them (every
 * 2 s; a dead node's drop out within 6 s).
 */
@RestController
@RequestMapping("/api/v1/sessions")
class SessionController {

    private final ClusterNode node;
    private final ClusterRoles roles;

    SessionController(ClusterNode node, ClusterRoles roles) {
        this.node = node;
        this.roles = roles;
    }

    @GetMapping
    List<Map<String, String>> list() {
        List<Map<String, String>> sessions = new ArrayList<>(roles.localSessions());
        node.sessionsByNode().forEach((id, published) -> {
            if (!id.equals(node.nodeId()) && node.memberNodeIds().contains(id)) {
                sessions.addAll(published);
            }
        });
        sessions.sort(Comparator.comparing((Map<String, String> s) -> s.getOrDefault("startedAt", ""))
                .thenComparing(s -> s.get("id")));
        return sessions;
    }

    /** Ends a session on whichever node holds it (202), or 404 when no node lists it. */
    @DeleteMapping("/{id}")
    ResponseEntity<?> close(@PathVariable String id) {
        boolean known = list().stream().anyMatch(s -> id.equals(s.get("id")));
        if (!known) {
            return ResponseEntity.status(HttpStatus.NOT_FOUND).body(ProblemDetail.forStatusAndDetail(
                    HttpStatus.NOT_FOUND, "no live session '" + id + "' on any node"));
        }
        roles.requestCloseSession(id);
        return ResponseEntity.accepted().build();
    }
}
