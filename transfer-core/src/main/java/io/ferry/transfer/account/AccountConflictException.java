package io.ferry.transfer.account;

/** The change would duplicate something unique: a username, or a key already registered for the account. */
public class AccountConflictException extends RuntimeException {

    public AccountConflictException(String message) {
        super(message);
    }
}
