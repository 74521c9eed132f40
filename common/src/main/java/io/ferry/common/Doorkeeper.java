package io.ferry.common;

import java.util.Optional;

/**
 * What a partner door asks when a connection arrives and tells as it goes on, on a node (bans and the listener's
 * {@link ConnectionLimits}) and at the edge (its door) alike.
 */
public interface Doorkeeper {

    /** Why a new connection from {@code address} is refused, or empty when it is let in (and counted until it ends). */
    Optional<String> admit(String address);

    /** A connection let in logged in. */
    void loggedIn();

    /** A connection let in ended; {@code loggedIn}: whether {@link #loggedIn} was told of it. */
    void closed(String address, boolean loggedIn);
}
