package io.ferry.app.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

/** RFC 6238's test vectors (SHA-1), the drift window, single use, and base32 both ways. */
class TotpTest {

    private static final byte[] RFC_SECRET = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

    @Test
    void shouldGiveRfc6238sCodes() {
        assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(59)), 8)).isEqualTo("94287082");
        assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(1111111109)), 8)).isEqualTo("07081804");
        assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(1234567890)), 8)).isEqualTo("89005924");
        assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(20000000000L)), 8)).isEqualTo("65353130");
    }

    @Test
    void shouldAcceptOneStepOfDriftAndEachStepOnce() {
        String secret = Totp.base32(RFC_SECRET);
        assertThat(secret).isEqualTo("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assertThat(Totp.unbase32(secret)).isEqualTo(RFC_SECRET);
        Instant now = Instant.ofEpochSecond(1_700_000_000L);
        long step = Totp.step(now);
        String current = Totp.code(secret, step);
        assertThat(Totp.verify(secret, current, now, -1)).isEqualTo(step);
        assertThat(Totp.verify(secret, current, now, step)).as("used once already").isEqualTo(-1);
        assertThat(Totp.verify(secret, Totp.code(secret, step - 1), now, -1)).isEqualTo(step - 1);
        assertThat(Totp.verify(secret, Totp.code(secret, step + 1), now, -1)).isEqualTo(step + 1);
        assertThat(Totp.verify(secret, Totp.code(secret, step - 2), now, -1)).isEqualTo(-1);
        assertThat(Totp.verify(secret, "12345", now, -1)).isEqualTo(-1);
        assertThat(Totp.verify(secret, null, now, -1)).isEqualTo(-1);
        assertThat(Totp.uri("Ferry", "ann smith", secret)).isEqualTo("otpauth://totp/Ferry:ann%20smith?secret="
                + secret + "&issuer=Ferry&algorithm=SHA1&digits=6&period=30");
    }
}
