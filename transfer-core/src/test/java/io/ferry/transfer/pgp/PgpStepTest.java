package io.ferry.transfer.pgp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgpStepTest {

    @Test
    void aStepShouldReadBackAsItWasWritten() {
        for (PgpStep step : new PgpStep[] {new PgpStep("acme", null, false, null), new PgpStep("acme", "ferry", null,
                null), new PgpStep(null, null, true, null), new PgpStep(null, null, true, "acme")}) {
            assertThat(PgpStep.parse(step.text())).isEqualTo(step);
        }
        assertThat(new PgpStep("acme", "ferry", false, null).text()).isEqualTo("encrypt acme sign ferry");
        assertThat(PgpStep.parse(null)).isNull();
    }

    @Test
    void aStepShouldEitherEncryptOrDecryptWithKeysNamedPlainly() {
        assertThatThrownBy(() -> new PgpStep("acme", null, true, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PgpStep(null, null, false, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PgpStep(null, "ferry", true, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PgpStep("acme", null, false, "acme")).isInstanceOf(IllegalArgumentException.class);
        // a name cannot smuggle another word into the stored step
        assertThatThrownBy(() -> new PgpStep("acme sign mallory", null, false, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theStemShouldDropAnOpenPgpSuffixOnly() {
        assertThat(PgpStep.stem("invoice.csv.pgp")).isEqualTo("invoice.csv");
        assertThat(PgpStep.stem("invoice.csv.GPG")).isEqualTo("invoice.csv");
        assertThat(PgpStep.stem("invoice.asc")).isEqualTo("invoice");
        assertThat(PgpStep.stem("invoice.csv")).isEqualTo("invoice.csv");
        assertThat(PgpStep.stem(".pgp")).isEqualTo(".pgp");
        assertThat(PgpStep.stem("...pgp")).isEqualTo("...pgp");
        assertThat(PgpStep.stem("..gpg")).isEqualTo("..gpg");
    }
}
