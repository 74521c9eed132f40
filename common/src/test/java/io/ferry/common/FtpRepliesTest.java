package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FtpRepliesTest {

    @Test
    void anEdgeShouldReadTheKindFromTheNodesWordsAndReplyAsTheNodeWould() {
        String status = "the upload cannot be completed: no space left on the storage; what was received is kept";
        assertThat(FailureKind.fromWords(status)).isEqualTo(FailureKind.STORAGE_FULL);
        assertThat(FtpReplies.of(FailureKind.fromWords(status), status, "resume with REST or APPE").code())
                .isEqualTo(552);
        assertThat(FailureKind.fromWords("Quota exceeded: the account may store 10 bytes"))
                .isEqualTo(FailureKind.QUOTA);
        assertThat(FailureKind.fromWords("The storage is read-only")).isEqualTo(FailureKind.STORAGE_READ_ONLY);
        assertThat(FailureKind.fromWords("host key mismatch")).isEqualTo(FailureKind.OTHER);
        assertThat(FailureKind.fromWords(null)).isEqualTo(FailureKind.OTHER);
        assertThat(FtpReplies.of(FailureKind.OTHER, "boom", "try again")).isEqualTo(new FtpReplies(451,
                "Transfer failed: boom"));
    }
}
