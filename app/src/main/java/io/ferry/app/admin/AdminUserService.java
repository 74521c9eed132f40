package io.ferry.app.admin;

import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.Sort;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.ferry.transfer.account.AccountConflictException;
import io.ferry.transfer.account.AccountNotFoundException;

/**
 * The people who may use the web console and the REST API. There is always at least one enabled {@code ADMIN}:
 * a change that would leave none is refused.
 */
@Service
public class AdminUserService {

    public static final int MIN_PASSWORD_LENGTH = 12;
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    /** What is shown of an administrator; never the password hash. */
    public record AdminView(String username, AdminRole role, boolean enabled, Instant createdAt) {

        static AdminView of(AdminUser user) {
            return new AdminView(user.getUsername(), AdminRole.parse(user.getRole()), user.isEnabled(),
                    user.getCreatedAt());
        }
    }

    private final AdminUserRepository admins;
    private final PasswordEncoder encoder;

    AdminUserService(AdminUserRepository admins, PasswordEncoder encoder) {
        this.admins = admins;
        this.encoder = encoder;
    }

    @Transactional(readOnly = true)
    public List<AdminView> list() {
        return admins.findAll(Sort.by("username")).stream().map(AdminView::of).toList();
    }

    @Transactional(readOnly = true)
    public AdminView get(String username) {
        return AdminView.of(find(username));
    }

    @Transactional
    public AdminView create(String username, String password, String role) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("username must be 1-64 letters, digits or ._@- (starting with a letter "
                    + "or digit)");
        }
        checkPassword(password);
        AdminRole parsed = AdminRole.parse(role);
        if (admins.existsByUsername(username)) {
            throw new AccountConflictException("administrator '" + username + "' already exists");
        }
        try {
            return AdminView.of(admins.saveAndFlush(new AdminUser(username, encoder.encode(password), parsed.name())));
        } catch (DataIntegrityViolationException e) {
            throw new AccountConflictException("administrator '" + username + "' already exists");
        }
    }

    /** Changes what is given (null fields stay). */
    @Transactional
    public AdminView update(String username, String password, String role, Boolean enabled) {
        AdminUser user = find(username);
        if (password != null && !password.isEmpty()) {
            checkPassword(password);
            user.setPasswordHash(encoder.encode(password));
        }
        if (role != null && !role.isBlank()) {
            user.setRole(AdminRole.parse(role).name());
        }
        if (enabled != null) {
            user.setEnabled(enabled);
        }
        keepAnAdmin();
        return AdminView.of(admins.saveAndFlush(user));
    }

    @Transactional
    public void delete(String username) {
        admins.delete(find(username));
        admins.flush();
        keepAnAdmin();
    }

    private AdminUser find(String username) {
        return admins.findByUsername(username)
                .orElseThrow(() -> new AccountNotFoundException("administrator '" + username + "' not found"));
    }

    private static void checkPassword(String password) {
        if (password == null || password.length() < MIN_PASSWORD_LENGTH || password.length() > 1024) {
            throw new IllegalArgumentException("an administrator's password must be " + MIN_PASSWORD_LENGTH
                    + "-1024 characters");
        }
    }

    /** Rolls the change back (the caller's transaction) when it leaves no enabled administrator. */
    private void keepAnAdmin() {
        boolean any = admins.findAll().stream()
                .anyMatch(u -> u.isEnabled() && AdminRole.ADMIN.name().equals(u.getRole()));
        if (!any) {
            throw new IllegalStateException("at least one enabled administrator with the ADMIN role must remain");
        }
    }
}
