package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void aNameShouldNeverForgeOrHideALogLine() {
        assertThat(LogText.quoted("bob\n2026-12-06 INFO Authenticated admin"))
                .isEqualTo("'bob\\u000a2026-12-06 INFO Authenticated admin'");
        assertThat(LogText.quoted("it's\u202e")).isEqualTo("'it\\u0027s\\u202e'");
        assertThat(LogText.escaped("/in/report.csv")).isEqualTo("/in/report.csv");
        assertThat(LogText.escaped("x".repeat(600))).hasSize(515).endsWith("...");
        assertThat(LogText.quoted(null)).isEqualTo("null");
    }
}
