package io.ferry.transfer.session;

import java.time.Clock;
import java.util.Locale;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.ConnectionLimits;
import io.ferry.common.Doorkeeper;
import io.ferry.common.LogText;
import io.ferry.transfer.node.DoorLimits;

/**
 * A partner listener's door, asked when a connection arrives, before any login, by SFTP and FTPS alike: a banned
 * address (the cluster's defender) and the listener's {@link DoorLimits} refuse it with a reason the client is told,
 * the log says and {@code ferry_connections_refused_total} counts. A connection let in is counted until it ends.
 */
public final class PartnerDoor implements Doorkeeper {

    private static final Logger log = LoggerFactory.getLogger(PartnerDoor.class);

    private final String protocol;
    private final PartnerLogins logins;
    private final ConnectionLimits limits;

    public PartnerDoor(String protocol, DoorLimits limits, PartnerLogins logins) {
        this.protocol = protocol;
        this.logins = logins;
        this.limits = new ConnectionLimits(limits.settings(), Clock.systemUTC());
    }

    /** Why a new connection from {@code address} is refused, or empty when it is let in (and counted). */
    @Override
    public Optional<String> admit(String address) {
        Optional<String> refused = logins.bannedUntil(address).map(until -> "banned until " + until)
                .map(reason -> refuse("banned", reason))
                .or(() -> limits.admit(address).map(refusal -> refuse(refusal.tag(), refusal.message())));
        refused.ifPresent(reason -> log.info("{} connection from {} refused: {}", protocol.toUpperCase(Locale.ROOT), LogText.escaped(address), reason));
        return refused;
    }

    private String refuse(String tag, String reason) {
        logins.connectionRefused(protocol, tag);
        return reason;
    }

    @Override
    public void loggedIn() {
        limits.loggedIn();
    }

    @Override
    public void closed(String address, boolean loggedIn) {
        limits.closed(address, loggedIn);
    }
}
