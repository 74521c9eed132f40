package io.ferry.app.cluster;

import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.PrimaryLease;

/** What the REST API and the console show of the cluster: its members, the primary lease and the role history. */
@Component
public class ClusterOverview {

    /** How long a swap waits for the named member to take the primary role. */
    public static final Duration HANDOFF_WAIT = Duration.ofSeconds(15);

    public record Primary(String node, long token, LocalDateTime expiresAt) {
    }

    public record Member(String node, String role, String mode, boolean serving, String drain, int sessions,
            long clockSkewMillis, String settings, String version, String startedAt) {
    }

    private final ClusterNode node;
    private final ClusterRoles roles;
    private final PrimaryLease lease;

    ClusterOverview(ClusterNode node, ClusterRoles roles, PrimaryLease lease) {
        this.node = node;
        this.roles = roles;
        this.lease = lease;
    }

    /** This node's id. */
    public String nodeId() {
        return node.nodeId();
    }

    public String mode() {
        return roles.mode().toString();
    }

    public boolean isMember(String id) {
        return node.memberNodeIds().contains(id);
    }

    public List<String> memberIds() {
        return node.memberNodeIds().stream().sorted().toList();
    }

    /** The members, by id; the role is what the lease says, not what a node last published about itself. */
    public List<Member> members() throws SQLException {
        Map<String, Map<String, String>> info = node.nodesInfo();
        Primary primary = primary().orElse(null);
        List<Member> members = new ArrayList<>();
        for (String id : memberIds()) {
            Map<String, String> i = info.getOrDefault(id, Map.of());
            String role = primary != null && primary.node().equals(id) ? "primary" : "standby";
            members.add(new Member(id, role, i.get("mode"), Boolean.parseBoolean(i.get("serving")),
                    i.getOrDefault("drain", "active"), Integer.parseInt(i.getOrDefault("sessions", "0")),
                    Long.parseLong(i.getOrDefault("clockSkewMillis", "0")), i.get("settings"), i.get("version"),
                    i.get("startedAt")));
        }
        return members;
    }

    /** The primary, if the lease is held now. */
    public Optional<Primary> primary() throws SQLException {
        return lease.state().filter(PrimaryLease.State::held)
                .map(s -> new Primary(s.holder(), s.token(), s.expiresAt()));
    }

    /**
     * Hands the primary role to the member {@code target}: the primary stops its primary work, releases the lease
     * for that member alone, and the member takes it.
     *
     * @return the new primary once {@code target} holds the lease, empty if it did not within {@link #HANDOFF_WAIT}
     */
    public Optional<Primary> handOff(String target) throws SQLException, InterruptedException {
        Optional<Primary> now = primary();
        if (now.isPresent() && now.get().node().equals(target)) {
            return now;
        }
        roles.requestHandoff(target);
        long deadline = System.nanoTime() + HANDOFF_WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Primary> primary = primary();
            if (primary.isPresent() && primary.get().node().equals(target)) {
                return primary;
            }
            Thread.sleep(100);
        }
        return Optional.empty();
    }

    /**
     * Drains a member: it takes no new sessions, hands the primary role on, and closes its sessions after
     * {@code timeout}.
     *
     * @return false if {@code id} is no member
     */
    public boolean drain(String id, Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("the drain timeout must not be negative");
        }
        if (!isMember(id)) {
            return false;
        }
        roles.requestDrain(id, timeout);
        return true;
    }

    /** Puts a drained (or draining) member back in service; false if {@code id} is no member. */
    public boolean undrain(String id) {
        if (!isMember(id)) {
            return false;
        }
        roles.requestUndrain(id);
        return true;
    }

    public List<PrimaryLease.RoleChange> history(int limit) throws SQLException {
        return lease.history(limit);
    }

    public List<Map<String, Object>> events(int limit) throws SQLException {
        return lease.events(limit);
    }
}
