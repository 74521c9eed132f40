package io.ferry.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.hazelcast.cluster.Address;

import io.ferry.common.LogText;

/**
 * {@code ferry.cluster.members} as addresses a member may have: {@code host}, {@code host:port},
 * {@code host:first-last}, {@code [v6]:port}. A member at none of them is refused. With no members configured every
 * other member is refused. A list with an entry this cannot read (Hazelcast's host ranges, {@code 10.0.0.1-3})
 * refuses no one by address; the cluster-secret proof still does.
 */
final class MemberList {

    private static final Logger log = LoggerFactory.getLogger(MemberList.class);

    private record Entry(String host, int firstPort, int lastPort) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final boolean checked;

    MemberList(List<String> members) {
        boolean readable = true;
        for (String member : members) {
            Entry entry = parse(member.trim());
            if (entry == null) {
                log.warn("ferry.cluster.members entry {} is not host, host:port or [v6]:port: members are not "
                        + "checked by address", LogText.quoted(member));
                readable = false;
            } else {
                entries.add(entry);
            }
        }
        this.checked = readable;
    }

    /**
     * Whether a member at {@code address} may be in the cluster. A host that does not resolve now counts as a match
     * (a DNS hiccup must not remove a node); the cluster-secret proof is the check that does not depend on names.
     */
    boolean expected(Address address) {
        if (!checked) {
            return true;
        }
        InetAddress actual;
        try {
            actual = address.getInetAddress();
        } catch (UnknownHostException e) {
            return false;
        }
        for (Entry entry : entries) {
            if (address.getPort() < entry.firstPort() || address.getPort() > entry.lastPort()) {
                continue;
            }
            try {
                for (InetAddress candidate : InetAddress.getAllByName(entry.host())) {
                    if (candidate.equals(actual)) {
                        return true;
                    }
                }
            } catch (UnknownHostException e) {
                log.debug("Member host {} does not resolve now: not held against {}", entry.host(), address);
                return true;
            }
        }
        return false;
    }

    static Entry parse(String member) {
        String host = member;
        String ports = null;
        if (member.startsWith("[")) {
            int close = member.indexOf(']');
            if (close < 0) {
                return null;
            }
            host = member.substring(1, close);
            if (close + 1 < member.length()) {
                if (member.charAt(close + 1) != ':') {
                    return null;
                }
                ports = member.substring(close + 2);
            }
        } else if (member.indexOf(':') > 0 && member.indexOf(':') == member.lastIndexOf(':')) {
            host = member.substring(0, member.indexOf(':'));
            ports = member.substring(member.indexOf(':') + 1);
        }
        if (host.isEmpty() || (!host.contains(":") && host.matches(".*\\d-\\d.*"))) {
            return null; // a Hazelcast host range
        }
        if (ports == null) {
            return new Entry(host, 1, 65535);
        }
        try {
            int dash = ports.indexOf('-');
            int first = Integer.parseInt(dash < 0 ? ports : ports.substring(0, dash));
            int last = dash < 0 ? first : Integer.parseInt(ports.substring(dash + 1));
            return first < 1 || last > 65535 || last < first ? null : new Entry(host, first, last);
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
