package io.ferry.transfer.edge;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What lets an edge carry a partner's session over to another node when the node serving it dies, without the
 * partner's credentials: a grant, issued with the login's ticket, that any node of the cluster can check (sealed with
 * a key derived from the cluster's master key) and that only names what the login decided: the edge and its
 * registration, the account, the partner's address, protocol and method, and the edge's session id. A node that
 * takes a grant checks again what a login checks besides the credential (the account enabled and unchanged since,
 * its address rules, the address not banned, this node serving) and answers with a one-time ticket of its own; the
 * grant buys no more than the login did, for at most {@link #TTL}.
 */
public final class EdgeGrants {

    /** How long a grant carries a session over: a session older than this is not resumed on another node. */
    public static final Duration TTL = Duration.ofHours(24);
    private static final int VERSION = 1;
    private static final int MAX_GRANT = 2048;

    private final SecretKeySpec key;
    private final Clock clock;

    /** @param key at least 32 bytes, the same on every node (derived from the master key) */
    public EdgeGrants(byte[] key, Clock clock) {
        if (key.length < 32) {
            throw new IllegalArgumentException("a grant key needs 32 bytes");
        }
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.clock = clock;
    }

    /**
     * What a grant stands for; {@code registration} is the edge's registration it was issued under,
     * {@code accountVersion} the account's version when it logged in (a changed account, a new password, ends it).
     */
    public record Grant(String edge, String registration, String account, String clientAddress, String protocol,
            String method, String edgeSession, long accountVersion, Instant expires) {
    }

    public String issue(String edge, String registration, EdgeTickets.Ticket ticket, long accountVersion) {
        Grant grant = new Grant(edge, registration, ticket.account(), ticket.clientAddress(), ticket.protocol(),
                ticket.method(), ticket.edgeSession() == null ? "" : ticket.edgeSession(), accountVersion,
                clock.instant().plus(TTL));
        byte[] body = encode(grant);
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return base64.encodeToString(body) + "." + base64.encodeToString(mac(body));
    }

    /**
     * The grant, if it is one this cluster sealed, unexpired, for this edge under this registration (a grant of an
     * edge registered again, or of another edge, is refused).
     */
    public Optional<Grant> check(String edge, String registration, String text) {
        if (text == null || text.length() > MAX_GRANT) {
            return Optional.empty();
        }
        int dot = text.indexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        byte[] body;
        byte[] mac;
        try {
            body = Base64.getUrlDecoder().decode(text.substring(0, dot));
            mac = Base64.getUrlDecoder().decode(text.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(mac, mac(body))) {
            return Optional.empty();
        }
        Grant grant = decode(body);
        if (grant == null || !grant.edge().equals(edge) || !grant.registration().equals(registration)
                || grant.expires().isBefore(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(grant);
    }

    private byte[] mac(byte[] body) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(key);
            return hmac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static byte[] encode(Grant grant) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            for (String field : new String[] {grant.edge(), grant.registration(), grant.account(),
                    grant.clientAddress(), grant.protocol(), grant.method(), grant.edgeSession()}) {
                out.writeUTF(field);
            }
            out.writeLong(grant.accountVersion());
            out.writeLong(grant.expires().getEpochSecond());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    /** A body that was sealed here (its MAC checked): only a version this node does not know is refused. */
    private static Grant decode(byte[] body) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
            if (in.readByte() != VERSION) {
                return null;
            }
            String[] fields = new String[7];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = in.readUTF();
            }
            long accountVersion = in.readLong();
            Instant expires = Instant.ofEpochSecond(in.readLong());
            return new Grant(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5],
                    fields[6].isEmpty() ? null : fields[6], accountVersion, expires);
        } catch (IOException e) {
            return null;
        }
    }
}
