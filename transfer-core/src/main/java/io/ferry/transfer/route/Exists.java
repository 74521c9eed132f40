package io.ferry.transfer.route;

import org.springframework.jdbc.core.JdbcTemplate;

import io.ferry.transfer.account.AccountNotFoundException;

/** What routes, schedules and monitors refer to must exist when they are created: 404 otherwise. */
final class Exists {

    private Exists() {
    }

    static void account(JdbcTemplate jdbc, String username, String role) {
        require(jdbc, "SELECT COUNT(*) FROM accounts WHERE username = ?", username, "account", role);
    }

    static void partner(JdbcTemplate jdbc, String name) {
        require(jdbc, "SELECT COUNT(*) FROM partners WHERE name = ?", name, "partner", "");
    }

    private static void require(JdbcTemplate jdbc, String count, String name, String what, String role) {
        Integer found = jdbc.queryForObject(count, Integer.class, name == null ? "" : name);
        if (found == null || found == 0) {
            throw new AccountNotFoundException(what + " '" + name + "'" + role + " not found");
        }
    }
}
