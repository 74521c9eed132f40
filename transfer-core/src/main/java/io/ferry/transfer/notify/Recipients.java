package io.ferry.transfer.notify;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** A rule's e-mail addresses: stored comma-separated, checked on the way in. */
final class Recipients {

    static final int MAX = 20;
    /** What the rules' column holds. */
    static final int MAX_STORED = 2048;
    /**
     * An address as a mail server takes it (RFC 5321's dot-atom local part at a host name with a dot); quoted local
     * parts and address literals are refused: nobody needs them for an operator's mailbox.
     */
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
            + "(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
            + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");

    private Recipients() {
    }

    /** The addresses checked, without duplicates (ignoring case), joined with commas. */
    static String joined(List<String> addresses) {
        if (addresses == null || addresses.isEmpty() || addresses.size() > MAX) {
            throw new IllegalArgumentException("recipients: 1-" + MAX + " e-mail addresses");
        }
        Set<String> seen = new LinkedHashSet<>();
        List<String> kept = new ArrayList<>();
        for (String address : addresses) {
            String trimmed = address == null ? "" : address.strip();
            if (trimmed.length() > 254 || !ADDRESS.matcher(trimmed).matches()) {
                throw new IllegalArgumentException("recipients: not an e-mail address (name@example.com): "
                        + Notifications.oneLine(trimmed, 80));
            }
            if (seen.add(trimmed.toLowerCase(Locale.ROOT))) {
                kept.add(trimmed);
            }
        }
        String joined = String.join(",", kept);
        if (joined.length() > MAX_STORED) {
            throw new IllegalArgumentException("recipients: at most " + MAX_STORED + " characters in all");
        }
        return joined;
    }

    static List<String> split(String stored) {
        return stored == null || stored.isBlank() ? List.of()
                : Arrays.stream(stored.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
