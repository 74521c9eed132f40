package io.ferry.transfer.account;

/** The named account, or the named key of an account, does not exist. */
public class AccountNotFoundException extends RuntimeException {

    public AccountNotFoundException(String message) {
        super(message);
    }
}
