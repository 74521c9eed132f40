package io.ferry.transfer.pgp;

import java.time.Duration;
import java.time.Instant;

import org.springframework.stereotype.Component;

import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.notify.Reminder;

/**
 * Warns of OpenPGP keys that expire within {@link PgpKeys#WARN_BEFORE} (or have just expired): the event
 * {@code key-expiring}, once a day per key, asked hourly on the primary.
 */
@Component
class PgpKeyExpiry implements Reminder {

    private final PgpKeys keys;

    PgpKeyExpiry(PgpKeys keys) {
        this.keys = keys;
    }

    @Override
    public void remind(Notifications notifications) {
        Instant now = Instant.now();
        for (PgpKeys.Key key : keys.expiring(PgpKeys.WARN_BEFORE)) {
            boolean expired = !key.expiresAt().isAfter(now);
            String whose = key.kind().equals("secret") ? "Ferry's own key pair"
                    : key.partner() == null ? "a partner's key" : "the key of partner " + key.partner();
            notifications.raise(Notifications.KEY_EXPIRING, "OpenPGP key " + key.name()
                    + (expired ? " expired " : " expires ") + key.expiresAt(), "The OpenPGP key " + key.name() + " (" + whose + ", fingerprint "
                    + key.fingerprint() + ") " + (expired ? "expired at " : "expires at ") + key.expiresAt()
                    + ". Routes that use it fail once it has expired: import its renewal (gpg --quick-set-expire, "
                    + "then export it again) or a new key, and change the routes.", Duration.ofDays(1));
        }
    }
}
