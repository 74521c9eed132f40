package io.ferry.transfer.account;

/**
 * An account was disabled or deleted: its open sessions, on every node, must end. Published by
 * {@link AccountService} inside the transaction; listeners act after it commits.
 */
public record AccountAccessRevoked(String username, String reason) {
}
