package io.ferry.cluster;

import java.util.Optional;

/**
 * What nodes tell each other on the cluster's control topic: one type per meaning, written to and read from the
 * wire only here, so a handler gets a typed message or nothing (a malformed one is dropped and logged by
 * {@link ClusterNode}). The wire form is the text earlier versions sent, so a rolling upgrade keeps working.
 */
public sealed interface ClusterMessage {

    /** The longest message Ferry sends (a verb and an id); longer text is none of Ferry's. */
    int MAX_WIRE = 300;
    /** The longest drain an administrator can ask for: a week. */
    long MAX_DRAIN_SECONDS = 7 * 24 * 3600L;

    /** A work item was queued (and committed): dispatchers look for due items now. */
    record WorkQueued() implements ClusterMessage {
    }

    /** Run-time settings changed: every node reads them again. */
    record SettingsChanged() implements ClusterMessage {
    }

    /** The cluster's FTPS certificate was replaced: every node loads it for new connections. */
    record CertificateReplaced() implements ClusterMessage {
    }

    /** The primary hands its role to {@code target}. */
    record Handoff(String target) implements ClusterMessage {
    }

    /** {@code target} should try for the primary role now, not at its next tick. */
    record Nudge(String target) implements ClusterMessage {
    }

    /** {@code target} drains: no new sessions; open ones may finish within {@code seconds}. */
    record Drain(String target, long seconds) implements ClusterMessage {
    }

    /** {@code target} serves again. */
    record Undrain(String target) implements ClusterMessage {
    }

    /** The account was disabled or deleted: every node closes its sessions now. */
    record Revoke(String username) implements ClusterMessage {
    }

    /** An administrator closed the partner session {@code sessionId}, wherever it is. */
    record CloseSession(String sessionId) implements ClusterMessage {
    }

    /** The wire form. */
    static String encode(ClusterMessage message) {
        if (message instanceof WorkQueued) {
            return "work-queued";
        } else if (message instanceof SettingsChanged) {
            return "settings-changed";
        } else if (message instanceof CertificateReplaced) {
            return "ftps-certificate-replaced";
        } else if (message instanceof Handoff m) {
            return "handoff " + m.target();
        } else if (message instanceof Nudge m) {
            return "nudge " + m.target();
        } else if (message instanceof Drain m) {
            return "drain " + m.target() + " " + m.seconds();
        } else if (message instanceof Undrain m) {
            return "undrain " + m.target();
        } else if (message instanceof Revoke m) {
            return "revoke " + m.username();
        } else if (message instanceof CloseSession m) {
            return "close-session " + m.sessionId();
        }
        throw new IllegalArgumentException("not a cluster message: " + message);
    }

    /** The message a wire form carries; empty when it is none Ferry sends. */
    static Optional<ClusterMessage> decode(String wire) {
        if (wire == null) {
            return Optional.empty();
        }
        switch (wire) {
            case "work-queued":
                return Optional.of(new WorkQueued());
            case "settings-changed":
                return Optional.of(new SettingsChanged());
            case "ftps-certificate-replaced":
                return Optional.of(new CertificateReplaced());
            default:
                break;
        }
        int space = wire.indexOf(' ');
        if (space <= 0 || space == wire.length() - 1 || wire.length() > MAX_WIRE) {
            return Optional.empty();
        }
        String verb = wire.substring(0, space);
        String rest = wire.substring(space + 1);
        if (!rest.chars().allMatch(c -> c > 0x20 && c < 0x7f || c == ' ')) {
            return Optional.empty(); // node ids, user names and session ids: printable ASCII, no control characters
        }
        switch (verb) {
            case "handoff":
                return Optional.of(new Handoff(rest));
            case "nudge":
                return Optional.of(new Nudge(rest));
            case "undrain":
                return Optional.of(new Undrain(rest));
            case "revoke":
                return Optional.of(new Revoke(rest));
            case "close-session":
                return Optional.of(new CloseSession(rest));
            case "drain":
                int last = rest.lastIndexOf(' ');
                if (last <= 0) {
                    return Optional.empty();
                }
                try {
                    long seconds = Long.parseLong(rest.substring(last + 1));
                    return seconds < 0 || seconds > MAX_DRAIN_SECONDS ? Optional.empty()
                            : Optional.of(new Drain(rest.substring(0, last), seconds));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            default:
                return Optional.empty();
        }
    }
}
