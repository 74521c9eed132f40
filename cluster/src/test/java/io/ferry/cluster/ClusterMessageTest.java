package io.ferry.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ClusterMessageTest {

    @Test
    void everyMessageShouldReadBackAsItself() {
        List<ClusterMessage> all = List.of(new ClusterMessage.WorkQueued(), new ClusterMessage.SettingsChanged(),
                new ClusterMessage.CertificateReplaced(), new ClusterMessage.Handoff("node-b"),
                new ClusterMessage.Nudge("node-a"), new ClusterMessage.Drain("node a", 30),
                new ClusterMessage.Undrain("node-a"), new ClusterMessage.Revoke("acme"),
                new ClusterMessage.CloseSession("0123456789ab"));
        for (ClusterMessage message : all) {
            assertThat(ClusterMessage.decode(ClusterMessage.encode(message))).contains(message);
        }
        // the wire form of earlier versions, for a rolling upgrade
        assertThat(ClusterMessage.encode(new ClusterMessage.Drain("node-a", 30))).isEqualTo("drain node-a 30");
        assertThat(ClusterMessage.encode(new ClusterMessage.WorkQueued())).isEqualTo("work-queued");
    }

    @Test
    void anythingElseShouldReadAsNothing() {
        for (String wire : new String[] {null, "", "drain", "drain node-a", "drain node-a many", "drain node-a -5",
                "handoff", "handoff ", "reboot node-a", "work-queued now", "drain node-a 99999999999",
                "handoff node-a\n2026-12-06 INFO forged line", "revoke " + "x".repeat(400)}) {
            assertThat(ClusterMessage.decode(wire)).as(String.valueOf(wire)).isEmpty();
        }
    }
}
