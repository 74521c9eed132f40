package io.ferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;

import org.junit.jupiter.api.Test;

class ClusterSealTest {

    private static final long NOW = 1_800_000_000_000L;

    private static byte[] secret() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    @Test
    void aSignedMessageShouldBeReadOnceAndOnlyWhileFresh() {
        ClusterSeal seal = new ClusterSeal(secret());
        String wire = seal.sign("node-a", "drain node-b 30", NOW);
        ClusterSeal.Verified first = seal.verify(wire, NOW + 1_000);
        assertThat(first.message()).isEqualTo(new ClusterSeal.Signed("node-a", "drain node-b 30"));
        assertThat(seal.verify(wire, NOW + 2_000).drop()).isEqualTo(ClusterSeal.Drop.REPLAYED);

        String old = seal.sign("node-a", "work-queued", NOW - ClusterSeal.WINDOW_MILLIS - 1);
        assertThat(seal.verify(old, NOW).drop()).isEqualTo(ClusterSeal.Drop.STALE);
        String future = seal.sign("node-a", "work-queued", NOW + ClusterSeal.WINDOW_MILLIS + 1);
        assertThat(seal.verify(future, NOW).drop()).isEqualTo(ClusterSeal.Drop.STALE);
    }

    @Test
    void whatTheSecretDidNotSignShouldBeDropped() {
        ClusterSeal seal = new ClusterSeal(secret());
        ClusterSeal other = new ClusterSeal(secret());
        assertThat(seal.verify("drain node-b 0", NOW).drop()).isEqualTo(ClusterSeal.Drop.UNSIGNED);
        assertThat(seal.verify(null, NOW).drop()).isEqualTo(ClusterSeal.Drop.UNSIGNED);
        assertThat(seal.verify(other.sign("node-a", "drain node-b 0", NOW), NOW).drop())
                .isEqualTo(ClusterSeal.Drop.FORGED);
        String wire = seal.sign("node-a", "drain node-b 30", NOW);
        assertThat(seal.verify(wire.replace("node-b 30", "node-b 0"), NOW).drop()).isEqualTo(ClusterSeal.Drop.FORGED);
        assertThat(seal.verify(wire.replace("ferry1 node-a", "ferry1 node-c"), NOW).drop())
                .isEqualTo(ClusterSeal.Drop.FORGED);
        assertThat(seal.verify("ferry1 node-a 1", NOW).drop()).isEqualTo(ClusterSeal.Drop.MALFORMED);
    }

    @Test
    void aSealedValueShouldOpenOnlyUnderItsOwnMapAndKey() {
        ClusterSeal seal = new ClusterSeal(secret());
        String sealed = seal.seal("bans", "192.0.2.1", "1800000000000");
        assertThat(sealed).doesNotContain("1800000000000");
        assertThat(seal.open("bans", "192.0.2.1", sealed)).contains("1800000000000");
        assertThat(seal.open("bans", "192.0.2.2", sealed)).isEmpty();
        assertThat(seal.open("failures", "192.0.2.1", sealed)).isEmpty();
        assertThat(new ClusterSeal(secret()).open("bans", "192.0.2.1", sealed)).isEmpty();
        assertThat(seal.open("bans", "192.0.2.1", 1_800_000_000_000L)).isEmpty();
        assertThat(seal.open("bans", "192.0.2.1", "not base64 !")).isEmpty();
    }
}
