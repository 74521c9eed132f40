package io.ferry.common;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.regex.Pattern;

/**
 * Client addresses as every door, ban and throttle must compare them: parsed, never as strings ({@code 2001:db8::1}
 * and Java's {@code 2001:db8:0:0:0:0:0:1} are one address), with CIDR blocks for rules and allow-lists, and IPv6
 * grouped by its /64 wherever failures are counted or connections throttled (one host holds a whole /64 and could
 * otherwise dodge a ban by changing its address inside it). Only IP literals: a host name would need a DNS lookup.
 */
public final class ClientAddresses {

    private static final Pattern LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    /** The bits of an IPv6 address that bans and throttles count by. */
    public static final int IPV6_GROUP_BITS = 64;

    private ClientAddresses() {
    }

    /** The address's bytes, for an IP literal only (no DNS; an IPv4-mapped IPv6 address as IPv4); null otherwise. */
    public static byte[] bytes(String address) {
        if (address == null || address.isEmpty() || address.length() > 45 || !LITERAL.matcher(address).matches()) {
            return null;
        }
        try {
            return InetAddress.getByName(address).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * One spelling per address: IPv4 dotted, IPv6 in RFC 5952's short lower-case form, an IPv4-mapped IPv6 address
     * as IPv4; anything that is not an IP literal as it is.
     */
    public static String canonical(String address) {
        byte[] bytes = bytes(address);
        return bytes == null ? address : format(bytes, bytes.length * 8);
    }

    /**
     * What bans and throttles count by: an IPv4 address itself, an IPv6 address's /64 ({@code 2001:db8:0:1::/64});
     * anything that is not an IP literal as it is.
     */
    public static String group(String address) {
        byte[] bytes = bytes(address);
        if (bytes == null) {
            return address;
        }
        if (bytes.length == 4) {
            return format(bytes, 32);
        }
        byte[] network = bytes.clone();
        for (int i = IPV6_GROUP_BITS / 8; i < network.length; i++) {
            network[i] = 0;
        }
        return format(network, IPV6_GROUP_BITS);
    }

    /**
     * A rule ({@code 203.0.113.7}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}) in canonical form.
     *
     * @throws IllegalArgumentException naming the rule that is not an address or a block
     */
    public static String rule(String field, String rule) {
        String text = rule == null ? "" : rule.trim();
        int slash = text.indexOf('/');
        byte[] bytes = bytes(slash < 0 ? text : text.substring(0, slash));
        if (bytes == null) {
            throw new IllegalArgumentException(field + ": '" + text + "' is not an IP address or a CIDR block");
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException(field + ": '" + text + "' has a prefix outside 0-" + max);
            }
        }
        return format(bytes, prefix);
    }

    /** Whether the address is one of the rules' addresses or inside one of their blocks ({@link #rule} form). */
    public static boolean matches(Collection<String> rules, String address) {
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

    /** The address (with {@code /prefix} when it is a block) in canonical form. */
    private static String format(byte[] bytes, int prefix) {
        String host;
        if (bytes.length == 4) {
            host = (bytes[0] & 0xFF) + "." + (bytes[1] & 0xFF) + "." + (bytes[2] & 0xFF) + "." + (bytes[3] & 0xFF);
        } else {
            host = ipv6(bytes);
        }
        return prefix == bytes.length * 8 ? host : host + "/" + prefix;
    }

    /** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first) as "::". */
    private static String ipv6(byte[] bytes) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (bytes[2 * i] & 0xFF) << 8 | bytes[2 * i + 1] & 0xFF;
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }
}
