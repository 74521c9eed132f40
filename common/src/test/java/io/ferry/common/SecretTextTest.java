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

    /** An OpenPGP key pair's armor says "PRIVATE KEY BLOCK" (RFC 4880, 6.2): redacted as well. */
    @Test
    void anOpenPgpKeyPairShouldBeRedacted() {
        String armored = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ1xQ8RYJKwYBBAHaRw8BAQdA\n=AbCd\n"
                + "-----END PGP PRIVATE KEY BLOCK-----\n";
        assertThat(SecretText.holdsSecret(armored)).isTrue();
        assertThat(SecretText.redacted("{\"armored\":\"" + armored + "\"}")).doesNotContain("lFgEZ1xQ8RYJ")
                .isEqualTo("{\"armored\":\"[PGP PRIVATE KEY ***]\n\"}");
        assertThat(SecretText.holdsSecret("-----BEGIN PGP PUBLIC KEY BLOCK-----\nmDMEZ1xQ\n")).isFalse();
    }
}
