package io.ferry.app.api;

import java.net.URI;
import java.time.Instant;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.transfer.edge.Edge;
import io.ferry.transfer.edge.EdgeService;
import io.ferry.transfer.sftp.HostKeyStore;

/**
 * The edge gateways the cluster trusts. Registering one answers with its secret, once, and the host-key fingerprints
 * the edge pins for the nodes' internal listener; revoking ends its logins and sessions.
 */
@RestController
@RequestMapping("/api/v1/edges")
class EdgeController {

    record EdgeRequest(String name) {
    }

    record EdgeView(String name, Instant createdAt, Instant revokedAt, String status) {
        static EdgeView of(Edge edge) {
            return new EdgeView(edge.getName(), edge.getCreatedAt(), edge.getRevokedAt(),
                    edge.isRevoked() ? "revoked" : "active");
        }
    }

    /**
     * What an edge needs to be configured: its name, its secret (shown once) and the host key of the nodes' edge
     * listener, to pin (that listener has a key of its own, which no edge ever holds).
     */
    record Registered(String name, Instant createdAt, String status, String secret, List<String> hostKeys) {
    }

    private final EdgeService edges;
    private final HostKeyStore hostKeys;

    EdgeController(EdgeService edges, HostKeyStore hostKeys) {
        this.edges = edges;
        this.hostKeys = hostKeys;
    }

    @PostMapping
    ResponseEntity<Registered> register(@RequestBody EdgeRequest body) {
        EdgeService.Registration registration = edges.register(body == null ? null : body.name());
        Edge edge = registration.edge();
        List<String> fingerprints = hostKeys.internalFingerprints();
        return ResponseEntity.created(URI.create("/api/v1/edges/" + edge.getName())).body(new Registered(
                edge.getName(), edge.getCreatedAt(), "active", registration.secret(), fingerprints));
    }

    @GetMapping
    List<EdgeView> list() {
        return edges.list().stream().map(EdgeView::of).toList();
    }

    @GetMapping("/{name}")
    EdgeView get(@PathVariable String name) {
        return EdgeView.of(edges.get(name));
    }

    /** Revokes the edge (the record stays, for the transfer log's sake). */
    @DeleteMapping("/{name}")
    EdgeView revoke(@PathVariable String name) {
        return EdgeView.of(edges.revoke(name));
    }
}
