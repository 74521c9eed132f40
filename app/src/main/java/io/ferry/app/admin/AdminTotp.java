package io.ferry.app.admin;

import java.nio.charset.StandardCharsets;
import java.time.Clock;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.ferry.transfer.account.AccountNotFoundException;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * The optional TOTP second factor of administrators and operators (RFC 6238, {@link Totp}). The secret is kept
 * sealed with the cluster's master key; a code is accepted once (the step it matched is stored with a
 * compare-and-set, so two nodes cannot both accept one code).
 */
@Service
public class AdminTotp {

    /** A secret to enroll, not yet stored: it is kept only once a code from the app proves the app has it. */
    public record Setup(String secret, String uri) {
    }

    static final String ISSUER = "Ferry";

    private final AdminUserRepository admins;
    private final MasterKey masterKey;
    private final JdbcTemplate jdbc;
    private final Clock clock;

    @org.springframework.beans.factory.annotation.Autowired
    AdminTotp(AdminUserRepository admins, MasterKey masterKey, JdbcTemplate jdbc) {
        this(admins, masterKey, jdbc, Clock.systemUTC());
    }

    AdminTotp(AdminUserRepository admins, MasterKey masterKey, JdbcTemplate jdbc, Clock clock) {
        this.admins = admins;
        this.masterKey = masterKey;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public Setup setup(String username) {
        find(username);
        String secret = Totp.newSecret();
        return new Setup(secret, Totp.uri(ISSUER, username, secret));
    }

    @Transactional(readOnly = true)
    public boolean enabled(String username) {
        return admins.findByUsername(username).map(a -> a.getTotpSecret() != null).orElse(false);
    }

    /** Turns the second factor on with {@code secret} once {@code code} shows the app computes it. */
    @Transactional
    public void enable(String username, String secret, String code) {
        AdminUser admin = find(username);
        byte[] raw;
        try {
            raw = Totp.unbase32(secret == null ? "" : secret);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the secret is not base32");
        }
        if (raw.length < 16) {
            throw new IllegalArgumentException("the secret must be at least 128 bits (26 base32 characters)");
        }
        long step = Totp.verify(secret, code, clock.instant(), -1);
        if (step < 0) {
            throw new IllegalArgumentException("that code does not match: check the app's time and try the next code");
        }
        admin.setTotp(masterKey.sealText(secret.getBytes(StandardCharsets.UTF_8),
                Column.ADMIN_TOTP.at(admin.getUsername())));
        admin.setTotpLastStep(step);
        admins.saveAndFlush(admin);
    }

    @Transactional
    public void disable(String username) {
        AdminUser admin = find(username);
        admin.setTotp(null);
        admins.saveAndFlush(admin);
    }

    /** Whether {@code code} is this user's current code, not used before; uses it up when it is. */
    public boolean check(String username, String code) {
        AdminUser admin = admins.findByUsername(username).orElse(null);
        if (admin == null || admin.getTotpSecret() == null) {
            return false;
        }
        String secret = new String(masterKey.openText(admin.getTotpSecret(),
                Column.ADMIN_TOTP.at(admin.getUsername())), StandardCharsets.UTF_8);
        long step = Totp.verify(secret, code, clock.instant(), admin.getTotpLastStep());
        return step >= 0 && jdbc.update("UPDATE admin_users SET totp_last_step = ? WHERE username = ? AND "
                + "(totp_last_step IS NULL OR totp_last_step < ?)", step, username, step) == 1;
    }

    private AdminUser find(String username) {
        return admins.findByUsername(username)
                .orElseThrow(() -> new AccountNotFoundException("administrator '" + username + "' not found"));
    }
}
