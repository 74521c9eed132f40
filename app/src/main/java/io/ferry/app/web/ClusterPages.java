package io.ferry.app.web;

import java.time.Duration;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.cluster.ClusterOverview;
import io.ferry.transfer.edge.EdgeService;

/** The cluster: members, the primary and its history; swap, drain and undrain; the registered edges. */
@Controller
class ClusterPages {


    private final ClusterOverview cluster;
    private final EdgeService edges;

    private final io.ferry.transfer.sftp.HostKeyStore hostKeys;

    ClusterPages(ClusterOverview cluster, EdgeService edges, io.ferry.transfer.sftp.HostKeyStore hostKeys) {
        this.hostKeys = hostKeys;
        this.cluster = cluster;
        this.edges = edges;
    }

    @GetMapping("/cluster")
    String cluster(Model model) throws Exception {
        model.addAttribute("mode", cluster.mode());
        model.addAttribute("primary", cluster.primary().orElse(null));
        model.addAttribute("members", cluster.members());
        model.addAttribute("history", cluster.history(20));
        model.addAttribute("edges", edges.list());
        return "cluster";
    }

    /** Registers an edge; its secret is shown this once, with what the edge needs to reach the cluster. */
    @PostMapping("/cluster/edges")
    String registerEdge(@RequestParam String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/cluster", () -> {
            EdgeService.Registration registration = edges.register(name.trim());
            redirect.addFlashAttribute("registered", registration.edge().getName());
            redirect.addFlashAttribute("registeredSecret", registration.secret());
            redirect.addFlashAttribute("internalHostKeys", hostKeys.internalFingerprints());
            return "Edge " + registration.edge().getName() + " registered. Copy its secret now: it is not shown again.";
        });
    }

    @PostMapping("/cluster/edges/{name}/revoke")
    String revokeEdge(@PathVariable String name, RedirectAttributes redirect) {
        return Console.apply(redirect, "/cluster", () -> {
            edges.revoke(name);
            return "Edge " + name + " revoked: it can no longer open sessions on any node.";
        });
    }

    @PostMapping("/cluster/primary")
    String swap(@RequestParam String node, RedirectAttributes redirect) {
        return Console.apply(redirect, "/cluster", () -> {
            member(node);
            return cluster.handOff(node).map(p -> node + " is the primary now (token " + p.token() + ").")
                    .orElseThrow(() -> new IllegalStateException(node + " did not take the primary role within "
                            + ClusterOverview.HANDOFF_WAIT.toSeconds() + " s; the role stays where the lease says"));
        });
    }

    @PostMapping("/cluster/nodes/{id}/drain")
    String drain(@PathVariable String id, @RequestParam(defaultValue = "600") long timeoutSeconds,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/cluster", () -> {
            if (!cluster.drain(id, Duration.ofSeconds(timeoutSeconds))) {
                throw notMember(id);
            }
            return id + " is draining: it takes no new sessions and leaves when its sessions have ended.";
        });
    }

    @PostMapping("/cluster/nodes/{id}/undrain")
    String undrain(@PathVariable String id, RedirectAttributes redirect) {
        return Console.apply(redirect, "/cluster", () -> {
            if (!cluster.undrain(id)) {
                throw notMember(id);
            }
            return id + " is back in service.";
        });
    }

    private void member(String id) {
        if (!cluster.isMember(id)) {
            throw notMember(id);
        }
    }

    private IllegalArgumentException notMember(String id) {
        return new IllegalArgumentException("no member '" + id + "' in the cluster " + cluster.memberIds());
    }
}
