package io.ferry.transfer.account;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Client addresses and CIDR blocks ({@code 203.0.113.7}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}) that an
 * account's logins may or may not come from. Only IP literals: a host name would need a DNS lookup at every login.
 */
public final class AddressRules {

    private static final Pattern LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
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

    /** Whether the address is one of the rules' addresses or inside one of their blocks. */
    public static boolean matches(List<String> rules, String address) {
        byte[] client = bytes(address);
        if (client == null) {
            return false;
        }
        for (String rule : rules) {
            int slash = rule.indexOf('/');
            byte[] network = bytes(slash < 0 ? rule : rule.substring(0, slash));
            if (network == null || network.length != client.length) {
                continue;
            }
            int prefix = slash < 0 ? network.length * 8 : Integer.parseInt(rule.substring(slash + 1));
            if (samePrefix(network, client, prefix)) {
                return true;
            }
        }
        return false;
    }

    private static String canonical(String field, String rule) {
        int slash = rule.indexOf('/');
        String address = slash < 0 ? rule : rule.substring(0, slash);
        byte[] bytes = bytes(address);
        if (bytes == null) {
            throw new IllegalArgumentException(field + ": '" + rule + "' is not an IP address or a CIDR block");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(rule.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException(field + ": '" + rule + "' has a prefix outside 0-" + max);
            }
        }
        try {
            String host = InetAddress.getByAddress(bytes).getHostAddress();
            return prefix == max ? host : host + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(field + ": '" + rule + "' is not an IP address", e);
        }
    }

    /** The address's bytes, for an IP literal only (no DNS); null otherwise. */
    private static byte[] bytes(String address) {
        if (address == null || address.isEmpty() || !LITERAL.matcher(address).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean samePrefix(byte[] a, byte[] b, int bits) {
        int full = bits / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (b[full] & mask);
    }
}
