package io.ferry.transfer.node;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Failed logins counted per client address across the cluster, and the addresses banned for them (or by an
 * administrator). Every listener asks it before it lets a connection in, and tells it of every failed password.
 */
public interface Defender {

    /** When the ban on this address ends, if it is banned now. */
    Optional<Instant> bannedUntil(String address);

    default boolean banned(String address) {
        return bannedUntil(address).isPresent();
    }

    /** Counts a failed login from the address; bans it when that makes too many. */
    void failed(String address);

    /** Bans the address for {@code duration} (an administrator, or an edge that banned it at its door). */
    void ban(String address, Duration duration, String reason);

    /**
     * Whether a login from the address (its /64 for IPv6) failed anywhere in the cluster within the current counting
     * window or the one before: an edge may ask for a ban only of an address that did.
     */
    default boolean failedRecently(String address) {
        return false;
    }

    /** Lifts a ban; false if there was none. */
    boolean unban(String address);

    /** The bans in force: address and end. */
    Map<String, Instant> bans();

    /** No defence: nothing is counted or banned (tests that build a listener by hand). */
    Defender NONE = new Defender() {
        @Override
        public Optional<Instant> bannedUntil(String address) {
            return Optional.empty();
        }

        @Override
        public void failed(String address) {
            // nothing counted
        }

        @Override
        public void ban(String address, Duration duration, String reason) {
            // nothing banned
        }

        @Override
        public boolean unban(String address) {
            return false;
        }

        @Override
        public Map<String, Instant> bans() {
            return Map.of();
        }
    };
}
