package io.ferry.app.admin;

import java.util.Locale;

/** What an administrator may do: {@code ADMIN} changes anything, {@code OPERATOR} only looks. */
public enum AdminRole {
    ADMIN, OPERATOR;

    static AdminRole parse(String value) {
        if (value == null || value.isBlank()) {
            return ADMIN;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("role must be 'admin' or 'operator'");
        }
    }
}
