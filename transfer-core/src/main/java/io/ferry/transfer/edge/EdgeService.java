package io.ferry.transfer.edge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/**
 * The edge gateways the cluster trusts ({@code /api/v1/edges}). Registering an edge gives out its secret once; the
 * database keeps only the secret's SHA-256 (the secret is 256 random bits, so a plain hash is as strong as a slow
 * one and costs nothing per login). Revoking keeps the row for the record; the edge's next login fails and the nodes
 * close its open sessions within seconds.
 */
@Service
public class EdgeService {

    /** Edge names: what fits in a log line and a login name without quoting. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final Logger log = LoggerFactory.getLogger(EdgeService.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A registered edge and, once, its secret. */
    public record Registration(Edge edge, String secret) {
    }

    private final EdgeRepository repository;
    private final JdbcTemplate jdbc;

    EdgeService(EdgeRepository repository, JdbcTemplate jdbc) {
        this.repository = repository;
        this.jdbc = jdbc;
    }

    /**
     * Records that edge {@code edge} forwarded the partner signature whose digest is {@code digest}; false when any
     * edge forwarded it before, on any node (a replay: it earns no second ticket).
     */
    public boolean firstUseOfSignature(String digest, String username, String edge) {
        try {
            jdbc.update("INSERT INTO edge_signatures (digest, username, edge, used_at) VALUES (?, ?, ?, ?)", digest,
                    username, edge, Timestamp.from(Instant.now()));
            return true;
        } catch (DuplicateKeyException e) {
            return false;
        }
    }

    /**
     * Registers an edge and returns its secret, which is not shown again. A revoked edge's name can be registered
     * again (a new secret); a name in use cannot.
     */
    @Transactional
    public Registration register(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "an edge name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Edge edge = repository.findByName(name).map(existing -> {
            if (!existing.isRevoked()) {
                throw new AccountConflictException("edge '" + name + "' is registered; revoke it first to replace its"
                        + " secret");
            }
            existing.renew(hash(secret));
            return existing;
        }).orElseGet(() -> new Edge(name, hash(secret)));
        try {
            edge = repository.saveAndFlush(edge);
        } catch (DataIntegrityViolationException e) {
            throw new AccountConflictException("edge '" + name + "' is registered");
        }
        log.info("Edge '{}' registered", name);
        return new Registration(edge, secret);
    }

    @Transactional(readOnly = true)
    public List<Edge> list() {
        return repository.findAll().stream().sorted(java.util.Comparator.comparing(Edge::getName)).toList();
    }

    @Transactional(readOnly = true)
    public Edge get(String name) {
        return repository.findByName(name).orElseThrow(() -> new AccountNotFoundException("edge '" + name
                + "' not found"));
    }

    /** Revokes the edge: it can no longer log in, and the nodes close its sessions. */
    @Transactional
    public Edge revoke(String name) {
        Edge edge = get(name);
        if (!edge.isRevoked()) {
            edge.revoke();
            log.info("Edge '{}' revoked", name);
        }
        return edge;
    }

    /**
     * Whether {@code secret} is the secret of the named, unrevoked edge (compared in constant time); if so, the
     * registration it belongs to (its secret's hash), which a session keeps to notice a revocation followed by a new
     * registration under the same name.
     */
    @Transactional(readOnly = true)
    public Optional<String> verify(String name, String secret) {
        if (name == null || secret == null) {
            return Optional.empty();
        }
        return repository.findByName(name).filter(e -> !e.isRevoked())
                .filter(e -> MessageDigest.isEqual(e.getSecretHash().getBytes(StandardCharsets.US_ASCII),
                        hash(secret).getBytes(StandardCharsets.US_ASCII)))
                .map(Edge::getSecretHash);
    }

    /** Of these edge names, the registrations (see {@link #verify}) that are in force. */
    @Transactional(readOnly = true)
    public Map<String, String> active(Set<String> names) {
        if (names.isEmpty()) {
            return Map.of();
        }
        return repository.findAll().stream().filter(e -> !e.isRevoked() && names.contains(e.getName()))
                .collect(Collectors.toMap(Edge::getName, Edge::getSecretHash));
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
