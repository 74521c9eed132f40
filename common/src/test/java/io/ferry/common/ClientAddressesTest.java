package io.ferry.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class ClientAddressesTest {

    @Test
    void oneAddressShouldHaveOneSpellingWhateverTheClientOrJavaWrote() {
        assertThat(ClientAddresses.canonical("2001:db8:0:0:0:0:0:1")).isEqualTo("2001:db8::1");
        assertThat(ClientAddresses.canonical("2001:DB8::0001")).isEqualTo("2001:db8::1");
        assertThat(ClientAddresses.canonical("2001:db8:0:0:1:0:0:1")).isEqualTo("2001:db8::1:0:0:1");
        assertThat(ClientAddresses.canonical("0:0:0:0:0:0:0:1")).isEqualTo("::1");
        assertThat(ClientAddresses.canonical("::ffff:192.0.2.7")).isEqualTo("192.0.2.7");
        assertThat(ClientAddresses.canonical("fe80:0:0:0:0:0:0:0")).isEqualTo("fe80::");
        assertThat(ClientAddresses.canonical("2001:db8:1:2:3:4:5:6")).isEqualTo("2001:db8:1:2:3:4:5:6");
        assertThat(ClientAddresses.canonical("not-an-address")).isEqualTo("not-an-address");
    }

    @Test
    void bansAndThrottlesShouldCountAnIpv6HostByItsSlash64() {
        assertThat(ClientAddresses.group("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).isEqualTo("2001:db8:0:1::/64");
        assertThat(ClientAddresses.group("2001:db8:0:1::7")).isEqualTo("2001:db8:0:1::/64");
        assertThat(ClientAddresses.group("2001:db8:0:2::7")).isEqualTo("2001:db8:0:2::/64");
        assertThat(ClientAddresses.group("192.0.2.7")).isEqualTo("192.0.2.7");
        assertThat(ClientAddresses.group("::ffff:192.0.2.7")).isEqualTo("192.0.2.7");
    }

    @Test
    void rulesShouldMatchAddressesAndBlocksInAnySpelling() {
        List<String> rules = List.of(ClientAddresses.rule("allow", "10.0.0.0/8"),
                ClientAddresses.rule("allow", "2001:DB8:0:0:0:0:0:0/32"), ClientAddresses.rule("allow", "192.0.2.7"));
        assertThat(rules).containsExactly("10.0.0.0/8", "2001:db8::/32", "192.0.2.7");
        assertThat(ClientAddresses.matches(rules, "10.200.1.1")).isTrue();
        assertThat(ClientAddresses.matches(rules, "2001:db8:ffff:0:0:0:0:1")).isTrue();
        assertThat(ClientAddresses.matches(rules, "::ffff:192.0.2.7")).isTrue();
        assertThat(ClientAddresses.matches(rules, "2001:db9::1")).isFalse();
        assertThat(ClientAddresses.matches(rules, "example.com")).isFalse();
        assertThatThrownBy(() -> ClientAddresses.rule("allow", "10.0.0.0/33")).hasMessageContaining("prefix");
        assertThatThrownBy(() -> ClientAddresses.rule("allow", "example.com")).hasMessageContaining("not an IP");
    }
}
