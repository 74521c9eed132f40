package io.ferry.cluster;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MaxSizePolicy;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.IMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;

/**
 * This node's Hazelcast member. With no members configured it forms a one-member cluster that never looks for
 * others (no multicast, no TCP scan); with members it joins them over TCP/IP.
 *
 * <p>Hazelcast Community Edition has no CP subsystem, so nothing here is trusted for mutual exclusion: the primary
 * role is fenced in the database. It has no member authentication either, so nothing read from it is trusted
 * unless the cluster secret vouches for it ({@link ClusterSeal}): control messages are signed, map values sealed.
 * The member listens only on the configured address, takes no Hazelcast clients, deserialises no class outside the
 * JDK's and Hazelcast's own, and removes a member whose address is not among the configured members.
 */
public final class ClusterNode implements AutoCloseable {

    /** The member attribute that carries {@link ClusterSettings#nodeId()}. */
    public static final String NODE_ID_ATTRIBUTE = "ferry.node-id";

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    private static final String CONTROL_TOPIC = "ferry.signed.control";
    private static final String NODES_MAP = "ferry.sealed.nodes";
    private static final String SESSIONS_MAP = "ferry.sealed.sessions";
    private static final String FAILURES_MAP = "ferry.sealed.defender-failures";
    private static final String BANS_MAP = "ferry.sealed.defender-bans";
    /** Each member's proof that it holds the cluster secret: its UUID, sealed under its UUID. */
    private static final String PROOFS_MAP = "ferry.sealed.member-proofs";
    /** How long a proof lasts without being published again ({@link #publishInfo} renews it). */
    private static final Duration PROOF_TTL = Duration.ofMinutes(10);
    /** The longest signed message read: a message of Ferry's and its signature head. */
    private static final int MAX_SIGNED_WIRE = ClusterMessage.MAX_WIRE + 300;

    private final ClusterSettings settings;
    private final ClusterSeal seal;
    private final MemberList members;
    private final HazelcastInstance hazelcast;
    private final List<Consumer<ClusterMessage>> handlers = new CopyOnWriteArrayList<>();
    private final Map<ClusterSeal.Drop, AtomicLong> dropped = new EnumMap<>(ClusterSeal.Drop.class);
    private final AtomicLong foreignMembers = new AtomicLong();
    private final AtomicLong lastDropLogged = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(2));
    /** Members removed (by UUID): left out of every view, and their leaving is no member's. */
    private final Set<UUID> refused = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "ferry-cluster-member-check");
        thread.setDaemon(true);
        return thread;
    });

    public ClusterNode(ClusterSettings settings) {
        this.settings = settings;
        this.seal = new ClusterSeal(settings.secret());
        this.members = new MemberList(settings.members());
        for (ClusterSeal.Drop drop : ClusterSeal.Drop.values()) {
            dropped.put(drop, new AtomicLong());
        }
        this.hazelcast = Hazelcast.newHazelcastInstance(config(settings));
        publishProof();
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                check(event.getMember());
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                // handled by onMemberLeft's listeners
            }
        });
        hazelcast.getCluster().getMembers().forEach(this::check);
        hazelcast.<String>getTopic(CONTROL_TOPIC).addMessageListener(received -> dispatch(received.getMessageObject()));
        log.info("Node {} joined cluster '{}' with {} member(s)", settings.nodeId(), settings.clusterName(),
                hazelcast.getCluster().getMembers().size());
    }

    static Config config(ClusterSettings settings) {
        Config config = new Config();
        config.setClusterName(settings.clusterName());
        config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, settings.nodeId());
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // Notice a dead member in seconds, not Hazelcast's default 60 s.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
        // Heal a split (a network partition between members) within seconds of its end, not Hazelcast's default
        // 5 minutes: the members of each side look for the others' addresses every 10 s and merge.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
        // Listen on the configured address only, not on every interface.
        config.setProperty("hazelcast.local.localAddress", settings.bindAddress());
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.socket.server.bind.any", "false");

        // The advanced network has a member endpoint and nothing else: no client, REST or memcache protocol on it.
        config.getAdvancedNetworkConfig().setEnabled(true);
        ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
        member.setPort(settings.port()).setPortAutoIncrement(true).setPortCount(100);
        member.getInterfaces().setEnabled(false);
        config.getAdvancedNetworkConfig().setMemberEndpointConfig(member);
        JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> members = settings.members();
        join.getTcpIpConfig().setEnabled(!members.isEmpty()).setMembers(members);

        // Ferry shares only strings; Java serialisation (which Hazelcast uses for exceptions between members) is
        // limited to the JDK's basic and Hazelcast's own classes, with Hazelcast's list of known gadget classes
        // refused on top (java.net is left out: its URL is a known lookup gadget).
        ClassFilter allowed = new ClassFilter();
        for (String prefix : List.of("java.lang.", "java.util.", "java.time.", "java.math.", "java.io.",
                "com.hazelcast.")) {
            allowed.addPrefixes(prefix);
        }
        // Every map of Ferry's is bounded (per member) and forgets what nobody renews, whatever a stranger put there.
        MapConfig sealed = new MapConfig("ferry.sealed.*").setTimeToLiveSeconds((int) Duration.ofDays(8).toSeconds());
        sealed.getEvictionConfig().setEvictionPolicy(EvictionPolicy.LRU).setMaxSizePolicy(MaxSizePolicy.PER_NODE)
                .setSize(200_000);
        config.addMapConfig(sealed);
        config.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
                .setDefaultsDisabled(false).setWhitelist(allowed));
        return config;
    }

    public String nodeId() {
        return settings.nodeId();
    }

    public String clusterName() {
        return settings.clusterName();
    }

    /** The defender's failure counts and bans, shared by every member, sealed. */
    public SharedBans bans() {
        return new SharedBans(hazelcast.getMap(FAILURES_MAP), hazelcast.getMap(BANS_MAP), seal, FAILURES_MAP,
                BANS_MAP);
    }

    /** The node ids of the members this node currently sees, itself included (members it refused are not). */
    public List<String> memberNodeIds() {
        Set<Member> members = hazelcast.getCluster().getMembers();
        return members.stream().filter(m -> !refused.contains(m.getUuid()))
                .map(m -> m.getAttribute(NODE_ID_ATTRIBUTE)).filter(Objects::nonNull).toList();
    }

    /** Runs {@code action} with the node id whenever a member leaves (died, partitioned away, or shut down). */
    public void onMemberLeft(Consumer<String> action) {
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                // a new member takes no role on joining: it is a standby until it wins an election
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                String left = event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
                if (refused.contains(event.getMember().getUuid()) || left == null) {
                    return; // a stranger this node removed: not a node that left
                }
                log.info("Member {} left the cluster", LogText.quoted(left));
                action.accept(left);
            }
        });
    }

    /** Whether this node is the oldest member (Hazelcast's master): one node that speaks for the cluster. */
    public boolean isOldestMember() {
        return hazelcast.getCluster().getMembers().iterator().next().localMember();
    }

    /** Sends a control message to every member (this one included), signed. */
    public void broadcast(ClusterMessage message) {
        hazelcast.<String>getTopic(CONTROL_TOPIC).publish(seal.sign(settings.nodeId(), ClusterMessage.encode(message),
                System.currentTimeMillis()));
    }

    /**
     * Hears the control messages of one type. The topic has one listener of this node's: it checks each message's
     * signature, reads it once and hands it to the handlers of its type; what is not signed with the cluster secret,
     * is stale or replayed, or reads as no type of {@link ClusterMessage} is dropped, counted and logged (escaped; at
     * most once a minute).
     */
    public <T extends ClusterMessage> void onMessage(Class<T> type, Consumer<T> handler) {
        handlers.add(message -> {
            if (type.isInstance(message)) {
                handler.accept(type.cast(message));
            }
        });
    }

    /** Control messages dropped since start, by reason ({@code unsigned}, {@code forged}, {@code stale}...). */
    public Map<String, Long> droppedMessages() {
        Map<String, Long> counts = new TreeMap<>();
        dropped.forEach((drop, count) -> counts.put(drop.name().toLowerCase(Locale.ROOT), count.get()));
        return counts;
    }

    /** Members refused since start because their address is not among the configured members. */
    public long refusedMembers() {
        return foreignMembers.get();
    }

    private void dispatch(Object received) {
        String wire = received instanceof String text ? text : null;
        ClusterSeal.Verified verified = wire == null || wire.length() > MAX_SIGNED_WIRE
                ? new ClusterSeal.Verified(null, ClusterSeal.Drop.MALFORMED)
                : seal.verify(wire, System.currentTimeMillis());
        Optional<ClusterMessage> message = verified.message() == null ? Optional.empty()
                : ClusterMessage.decode(verified.message().text());
        if (message.isEmpty()) {
            ClusterSeal.Drop drop = verified.drop() != null ? verified.drop() : ClusterSeal.Drop.MALFORMED;
            dropped.get(drop).incrementAndGet();
            long now = System.nanoTime();
            long last = lastDropLogged.get();
            if (now - last > TimeUnit.MINUTES.toNanos(1) && lastDropLogged.compareAndSet(last, now)) {
                log.warn("Dropped a control message ({}): {}", drop.name().toLowerCase(Locale.ROOT),
                        LogText.quoted(wire == null ? String.valueOf(received) : wire));
            }
            return;
        }
        for (Consumer<ClusterMessage> handler : handlers) {
            try {
                handler.accept(message.get());
            } catch (RuntimeException e) {
                log.warn("Handling {} from {} failed: {}", message.get(), LogText.quoted(verified.message().sender()),
                        e.toString());
            }
        }
    }

    /**
     * Publishes what this node says about itself (role, mode, readiness...) for the cluster view, sealed; it
     * disappears {@code ttl} after the last publication, so a dead node drops out by itself.
     */
    public void publishInfo(Map<String, String> info, Duration ttl) {
        publishProof();
        nodesMap().put(settings.nodeId(), seal.seal(NODES_MAP, settings.nodeId(), encode(info)), ttl.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Publishes this node's live sessions (each a map of fields) for the cluster-wide list; gone {@code ttl} after. */
    public void publishSessions(List<Map<String, String>> sessions, Duration ttl) {
        List<String> lines = new ArrayList<>();
        sessions.forEach(s -> lines.add(encode(s)));
        sessionsMap().put(settings.nodeId(), seal.seal(SESSIONS_MAP, settings.nodeId(), String.join("\n", lines)),
                ttl.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The sessions every live node published, by node id (what does not open with the cluster secret is left out). */
    public Map<String, List<Map<String, String>>> sessionsByNode() {
        Map<String, List<Map<String, String>>> all = new TreeMap<>();
        sessionsMap().forEach((node, sealed) -> seal.open(SESSIONS_MAP, node, sealed).ifPresent(text -> {
            List<Map<String, String>> list = new ArrayList<>();
            for (String line : text.split("\n")) {
                if (!line.isEmpty()) {
                    list.add(decode(line));
                }
            }
            all.put(node, list);
        }));
        return all;
    }

    /** What every live node published about itself, by node id (what does not open is left out). */
    public Map<String, Map<String, String>> nodesInfo() {
        Map<String, Map<String, String>> nodes = new TreeMap<>();
        nodesMap().forEach((node, sealed) -> seal.open(NODES_MAP, node, sealed)
                .ifPresent(text -> nodes.put(node, decode(text))));
        return nodes;
    }

    public boolean isRunning() {
        return hazelcast.getLifecycleService().isRunning();
    }

    @Override
    public void close() {
        checks.shutdownNow();
        hazelcast.shutdown();
    }

    private IMap<String, Object> nodesMap() {
        return hazelcast.getMap(NODES_MAP);
    }

    private IMap<String, Object> sessionsMap() {
        return hazelcast.getMap(SESSIONS_MAP);
    }

    /** Publishes this member's proof that it holds the cluster secret (its UUID sealed under its UUID). */
    private void publishProof() {
        String uuid = hazelcast.getCluster().getLocalMember().getUuid().toString();
        hazelcast.<String, Object>getMap(PROOFS_MAP).put(uuid, seal.seal(PROOFS_MAP, uuid, uuid), PROOF_TTL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Checks a member that joined: at once, its address against {@code ferry.cluster.members}; then, within
     * {@link ClusterSettings#proofTimeout()}, its proof that it holds the cluster secret. Either failing removes it.
     */
    private void check(Member member) {
        if (member.localMember()) {
            return;
        }
        if (!members.expected(member.getAddress())) {
            refuse(member, "its address is not among ferry.cluster.members");
            return;
        }
        long delay = settings.proofTimeout().toMillis();
        checks.schedule(() -> checkProof(member, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay)),
                Math.min(delay, 1000), TimeUnit.MILLISECONDS);
    }

    private void checkProof(Member member, long deadline) {
        try {
            if (!hazelcast.getLifecycleService().isRunning()
                    || !hazelcast.getCluster().getMembers().contains(member) || refused.contains(member.getUuid())) {
                return;
            }
            String uuid = member.getUuid().toString();
            Object proof = hazelcast.<String, Object>getMap(PROOFS_MAP).get(uuid);
            if (proof != null && seal.open(PROOFS_MAP, uuid, proof).filter(uuid::equals).isPresent()) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                refuse(member, "it did not prove within " + settings.proofTimeout() + " that it holds the cluster "
                        + "secret (another master key, or not a Ferry node)");
            } else {
                checks.schedule(() -> checkProof(member, deadline), 1, TimeUnit.SECONDS);
            }
        } catch (RuntimeException e) {
            log.debug("Cannot check member {} yet: {}", LogText.quoted(String.valueOf(member.getAddress())),
                    e.toString());
            if (System.nanoTime() - deadline < 0) {
                checks.schedule(() -> checkProof(member, deadline), 1, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Removes {@code member} from the cluster. Community Edition has no hook to refuse a join, so the member is
     * suspected, which makes the oldest member drop it; until then it can read nothing sealed and make no node act.
     */
    private void refuse(Member member, String why) {
        if (!refused.add(member.getUuid())) {
            return;
        }
        foreignMembers.incrementAndGet();
        log.warn("Refusing member {} ({}): {}", LogText.quoted(String.valueOf(member.getAddress())),
                LogText.quoted(member.getAttribute(NODE_ID_ATTRIBUTE)), why);
        try {
            ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getClusterService().suspectMember(member, why,
                    true);
        } catch (RuntimeException e) {
            log.warn("Could not remove member {}: {}", LogText.quoted(String.valueOf(member.getAddress())),
                    e.toString());
        }
    }

    /** A map of fields as one line: {@code key=value&...}, URL-encoded. */
    static String encode(Map<String, String> fields) {
        List<String> parts = new ArrayList<>();
        fields.forEach((k, v) -> parts.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v == null ? "" : v, StandardCharsets.UTF_8)));
        return String.join("&", parts);
    }

    static Map<String, String> decode(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String part : line.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                fields.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return fields;
    }
}
