package io.ferry.transfer.account;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;

class PasswordChecksTest {

    /** Ferry's Argon2id encoder, counting the full checks and how many ran at once. */
    static final class Counting implements PasswordEncoder {
        final PasswordEncoder argon2 = Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8();
        final AtomicInteger checks = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();

        @Override
        public String encode(CharSequence raw) {
            return argon2.encode(raw);
        }

        @Override
        public boolean matches(CharSequence raw, String encoded) {
            checks.incrementAndGet();
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                return argon2.matches(raw, encoded);
            } finally {
                running.decrementAndGet();
            }
        }
    }

    @Test
    void aVerifiedPasswordShouldNotBeHashedAgainButAWrongOneAlways() {
        Counting encoder = new Counting();
        PasswordChecks checks = new PasswordChecks(encoder);
        String hash = encoder.encode("correct-horse-battery");

        assertThat(checks.matches("acme", "correct-horse-battery", hash)).isTrue();
        assertThat(checks.matches("acme", "correct-horse-battery", hash)).isTrue();
        assertThat(encoder.checks).hasValue(1);

        assertThat(checks.matches("acme", "wrong-horse-battery", hash)).isFalse();
        assertThat(checks.matches("acme", "wrong-horse-battery", hash)).isFalse();
        assertThat(encoder.checks).hasValue(3);

        // another account with the same password, or the same password under a new hash, is checked in full
        assertThat(checks.matches("other", "correct-horse-battery", hash)).isTrue();
        String changed = encoder.encode("correct-horse-battery");
        assertThat(checks.matches("acme", "correct-horse-battery", changed)).isTrue();
        assertThat(encoder.checks).hasValue(5);
        // an old password never matches the new hash
        assertThat(checks.matches("acme", "old-password-here", changed)).isFalse();
    }

    /**
     * A name without a password was checked against a fixed dummy hash of a known string, and a match was
     * remembered like any other: sending that string twice, the second try was fast for names that have no password
     * and slow for those that do. Now such a name is checked against a secret nothing matches, in full every time.
     */
    @Test
    void aNameWithoutAPasswordShouldPayTheFullCheckEveryTime() {
        Counting encoder = new Counting();
        PasswordChecks checks = new PasswordChecks(encoder);
        for (String guess : List.of("ferry-timing-equaliser", "ferry-timing-equaliser", "anything")) {
            assertThat(checks.matchesNothing(guess)).isFalse();
        }
        assertThat(encoder.checks).as("three full checks").hasValue(3);
    }

    @Test
    void aBurstOfLoginsShouldHashAtMostOnePerCoreAtOnce() throws Exception {
        Counting encoder = new Counting();
        PasswordChecks checks = new PasswordChecks(encoder);
        String hash = encoder.encode("correct-horse-battery");
        int logins = 24;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger accepted = new AtomicInteger();
        for (int i = 0; i < logins; i++) {
            String user = "user-" + i; // distinct accounts: nothing is remembered between them
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                if (checks.matches(user, "correct-horse-battery", hash)) {
                    accepted.incrementAndGet();
                }
            });
            t.start();
            threads.add(t);
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(accepted).hasValue(logins);
        assertThat(encoder.checks).hasValue(logins);
        assertThat(encoder.mostAtOnce.get()).isBetween(1, Math.max(2, Runtime.getRuntime().availableProcessors()));
    }
}
