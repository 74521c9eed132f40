package io.ferry.transfer.account;

import java.util.ArrayList;
import java.util.List;

import io.ferry.common.ClientAddresses;

/**
 * Client addresses and CIDR blocks ({@code 203.0.113.7}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}) that an
 * account's logins may or may not come from. Only IP literals: a host name would need a DNS lookup at every login.
 * Parsed and matched as every door does ({@link ClientAddresses}).
 */
public final class AddressRules {

    private static final int MAX_RULES = 100;

    private AddressRules() {
    }

    /**
     * The rules in canonical form, each checked.
     *
     * @throws IllegalArgumentException naming the rule that is not an address or a block
     */
    public static List<String> parse(String field, List<String> rules) {
        if (rules == null) {
            return List.of();
        }
        if (rules.size() > MAX_RULES) {
            throw new IllegalArgumentException(field + " takes at most " + MAX_RULES + " entries");
        }
        List<String> canonical = new ArrayList<>();
        for (String rule : rules) {
            canonical.add(canonical(field, rule == null ? "" : rule.trim()));
        }
        return List.copyOf(canonical);
    }

    /** Whether the address is one of the rules' addresses or inside one of their blocks, in any spelling. */
    public static boolean matches(List<String> rules, String address) {
        return ClientAddresses.matches(rules, address);
    }

    private static String canonical(String field, String rule) {
        return ClientAddresses.rule(field, rule);
    }
}
