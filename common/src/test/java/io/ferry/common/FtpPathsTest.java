package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FtpPathsTest {

    @Test
    void namesShouldResolveFromTheWorkingDirectoryAndNeverClimbAboveTheRoot() {
        assertThat(FtpPaths.absolute("/in", "a.txt")).isEqualTo("/in/a.txt");
        assertThat(FtpPaths.absolute("/in", "/out/b.txt")).isEqualTo("/out/b.txt");
        assertThat(FtpPaths.absolute("/in", "../../../etc/passwd")).isEqualTo("/etc/passwd");
        assertThat(FtpPaths.absolute("/in/x", "./.././/y")).isEqualTo("/in/y");
        assertThat(FtpPaths.absolute("/in", "")).isEqualTo("/in");
        assertThat(FtpPaths.absolute("/", null)).isEqualTo("/");
    }
}
