package io.ferry.transfer.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/**
 * Issue 23: a grant carries a partner's session to another node only for the edge, registration, account and
 * address its login was for, sealed by the cluster, for a day; anything else is refused.
 */
class EdgeGrantsTest {

    private static final byte[] KEY = "a cluster's grant key of 32 bytes".getBytes(StandardCharsets.UTF_8);
    private static final Instant NOW = Instant.parse("2026-12-07T00:00:00Z");

    private final EdgeGrants grants = new EdgeGrants(KEY, Clock.fixed(NOW, ZoneOffset.UTC));
    private final EdgeTickets.Ticket ticket = new EdgeTickets.Ticket("edge-1", "acme", "198.51.100.7", "sftp",
            "publickey", "0123456789ab", NOW.plusSeconds(30), false);

    @Test
    void aGrantShouldNameWhatItsLoginWasFor() {
        String grant = grants.issue("edge-1", "reg-1", ticket, 7);
        assertThat(grants.check("edge-1", "reg-1", grant)).hasValueSatisfying(g -> {
            assertThat(g.account()).isEqualTo("acme");
            assertThat(g.clientAddress()).isEqualTo("198.51.100.7");
            assertThat(g.protocol()).isEqualTo("sftp");
            assertThat(g.method()).isEqualTo("publickey");
            assertThat(g.edgeSession()).isEqualTo("0123456789ab");
            assertThat(g.accountVersion()).isEqualTo(7);
            assertThat(g.expires()).isEqualTo(NOW.plus(EdgeGrants.TTL));
        });
    }

    @Test
    void anotherEdgeOrRegistrationShouldBeRefused() {
        String grant = grants.issue("edge-1", "reg-1", ticket, 7);
        assertThat(grants.check("edge-2", "reg-1", grant)).isEmpty();
        assertThat(grants.check("edge-1", "reg-2", grant)).isEmpty(); // the edge registered again, or revoked
    }

    @Test
    void aGrantShouldExpire() {
        String grant = grants.issue("edge-1", "reg-1", ticket, 7);
        EdgeGrants later = new EdgeGrants(KEY, Clock.fixed(NOW.plus(EdgeGrants.TTL).plus(Duration.ofSeconds(1)),
                ZoneOffset.UTC));
        assertThat(later.check("edge-1", "reg-1", grant)).isEmpty();
    }

    @Test
    void aChangedOrForeignGrantShouldBeRefused() {
        String grant = grants.issue("edge-1", "reg-1", ticket, 7);
        String body = grant.substring(0, grant.indexOf('.'));
        String mac = grant.substring(grant.indexOf('.') + 1);
        // another account in the body, the MAC kept
        byte[] bytes = Base64.getUrlDecoder().decode(body);
        String swapped = new String(bytes, StandardCharsets.ISO_8859_1).replace("acme", "root");
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                swapped.getBytes(StandardCharsets.ISO_8859_1)) + "." + mac;
        assertThat(grants.check("edge-1", "reg-1", forged)).isEmpty();
        // sealed under another cluster's key
        byte[] other = Arrays.copyOf(KEY, KEY.length);
        other[0] ^= 1;
        String foreign = new EdgeGrants(other, Clock.fixed(NOW, ZoneOffset.UTC)).issue("edge-1", "reg-1", ticket, 7);
        assertThat(grants.check("edge-1", "reg-1", foreign)).isEmpty();
        // garbage
        for (String junk : new String[] {null, "", ".", "x.y", "!!!.???", body, "a".repeat(5000) + ".b"}) {
            assertThat(grants.check("edge-1", "reg-1", junk)).as(String.valueOf(junk)).isEmpty();
        }
    }
}
