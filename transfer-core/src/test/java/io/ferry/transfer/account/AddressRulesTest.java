package io.ferry.transfer.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class AddressRulesTest {

    @Test
    void rulesShouldBeCheckedAndWrittenCanonically() {
        assertThat(AddressRules.parse("allowedAddresses", List.of(" 10.0.0.0/8", "203.0.113.7", "2001:DB8::/32",
                "192.0.2.9/32"))).containsExactly("10.0.0.0/8", "203.0.113.7", "2001:db8::/32",
                        "192.0.2.9");
        assertThat(AddressRules.parse("allowedAddresses", null)).isEmpty();
        assertThatThrownBy(() -> AddressRules.parse("deniedAddresses", List.of("example.com")))
                .hasMessageContaining("deniedAddresses: 'example.com' is not an IP address or a CIDR block");
        assertThatThrownBy(() -> AddressRules.parse("deniedAddresses", List.of("10.0.0.0/33")))
                .hasMessageContaining("prefix outside 0-32");
        assertThatThrownBy(() -> AddressRules.parse("deniedAddresses", List.of("10.0.0.0/x")))
                .hasMessageContaining("prefix");
    }

    @Test
    void addressesShouldMatchTheirBlocksOnly() {
        List<String> rules = AddressRules.parse("r", List.of("10.0.0.0/8", "192.0.2.128/25", "203.0.113.7",
                "2001:db8::/32"));
        assertThat(AddressRules.matches(rules, "10.200.1.2")).isTrue();
        assertThat(AddressRules.matches(rules, "11.0.0.1")).isFalse();
        assertThat(AddressRules.matches(rules, "192.0.2.200")).isTrue();
        assertThat(AddressRules.matches(rules, "192.0.2.100")).isFalse();
        assertThat(AddressRules.matches(rules, "203.0.113.7")).isTrue();
        assertThat(AddressRules.matches(rules, "203.0.113.8")).isFalse();
        assertThat(AddressRules.matches(rules, "2001:db8:1::5")).isTrue();
        assertThat(AddressRules.matches(rules, "2001:db9::5")).isFalse();
        assertThat(AddressRules.matches(rules, "not-an-address")).isFalse();
        assertThat(AddressRules.matches(rules, null)).isFalse();
        assertThat(AddressRules.matches(AddressRules.parse("r", List.of("0.0.0.0/0")), "198.51.100.1")).isTrue();
    }
}
