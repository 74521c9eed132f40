package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SecretTextTest {

    @Test
    void privateKeysAndOtpauthUrisShouldBeRedactedAndTheRestKept() {
        String pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBcd\n-----END EC PRIVATE KEY-----\n";
        String text = "cert -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nkey " + pem
                + " then otpauth://totp/Ferry:admin?secret=JBSWY3DPEHPK3PXP&issuer=Ferry\" done";
        String redacted = SecretText.redacted(text);
        assertThat(redacted).doesNotContain("MHcCAQEEIBcd", "JBSWY3DPEHPK3PXP")
                .contains("-----BEGIN CERTIFICATE-----\nMIIB", "key [EC PRIVATE KEY ***]\n", "otpauth://***\"",
                        " done");
        assertThat(SecretText.holdsSecret(text)).isTrue();
        assertThat(SecretText.holdsSecret(redacted)).isFalse();
        assertThat(SecretText.redacted("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXkt (cut short"))
                .isEqualTo("[OPENSSH PRIVATE KEY ***]");
        assertThat(SecretText.redacted("nothing here")).isEqualTo("nothing here");
        assertThat(SecretText.redacted(null)).isNull();
    }
}
