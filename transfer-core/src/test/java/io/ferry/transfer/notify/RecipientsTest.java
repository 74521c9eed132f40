package io.ferry.transfer.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

class RecipientsTest {

    @Test
    void addressesShouldBeKeptOnceInTheirOrder() {
        assertThat(Recipients.split(Recipients.joined(List.of(" ops@example.com", "On.Call+ferry@mail.example.org",
                "OPS@example.com")))).containsExactly("ops@example.com", "On.Call+ferry@mail.example.org");
    }

    @Test
    void whatIsNotAnAddressShouldBeRefused() {
        for (String bad : List.of("", "ops", "ops@localhost", "ops@example.com\r\nBcc: x@evil.example",
                "a b@example.com", "ops@-example.com", "\"quoted\"@example.com", "ops@example.com,x@example.com",
                "a@" + "b".repeat(250) + ".com")) {
            assertThatThrownBy(() -> Recipients.joined(List.of(bad))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> Recipients.joined(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Recipients.joined(Collections.nCopies(21, "ops@example.com")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
