package io.ferry.transfer.account;

import java.util.concurrent.Semaphore;

import org.springframework.security.crypto.password.PasswordEncoder;

/**
 * The node's one password encoder, with at most one hash computed per core at once, whoever asks: partners' logins,
 * administrators' logins (console and API) and new passwords. Argon2id takes 16 MiB and tens of milliseconds of CPU
 * per hash on purpose; a flood of logins, with any user names, then waits its turn instead of taking every core and
 * the heap (ADR 0008).
 */
public final class BoundedPasswordEncoder implements PasswordEncoder {

    private final PasswordEncoder encoder;
    private final Semaphore slots = new Semaphore(Math.max(2, Runtime.getRuntime().availableProcessors()), true);

    public BoundedPasswordEncoder(PasswordEncoder encoder) {
        this.encoder = encoder;
    }

    @Override
    public String encode(CharSequence raw) {
        acquire();
        try {
            return encoder.encode(raw);
        } finally {
            slots.release();
        }
    }

    @Override
    public boolean matches(CharSequence raw, String encoded) {
        acquire();
        try {
            return encoder.matches(raw, encoded);
        } finally {
            slots.release();
        }
    }

    @Override
    public boolean upgradeEncoding(String encoded) {
        return encoder.upgradeEncoding(encoded);
    }

    private void acquire() {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to check a password", e);
        }
    }
}
