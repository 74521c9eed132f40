package io.ferry.transfer.session;

import java.io.IOException;
import java.security.PublicKey;
import java.util.Optional;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.storage.StorageUnavailableException;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.node.Defender;
import io.ferry.transfer.node.Logins;

/**
 * One login path for every door: SFTP, FTPS, and the edge (its "auth" request and the ticket it redeems). The steps,
 * in order: the credential (a wrong password counts against the address in the {@link Defender}; a public key
 * merely offered does not), the account's address rule, the home opened with its quota, and the
 * {@link LiveAccount} the session then works with. Every decision is logged once, worded once (the user name
 * escaped), and counted once in {@link Logins}; a door only maps the result onto its protocol's reply.
 */
public final class PartnerLogins {

    private static final Logger log = LoggerFactory.getLogger(PartnerLogins.class);

    /** What the client is told when the storage is down (the only refusal that says why). */
    public static final String STORAGE_UNAVAILABLE = "Ferry's storage is unavailable; please try again later";
    /** What the client is told when its home cannot be opened. */
    public static final String HOME_UNAVAILABLE = "The account's home directory cannot be opened";

    private final AccountService accounts;
    private final StorageRoot storage;
    private final Defender defender;
    private final Logins logins;

    /**
     * @param defender the cluster's defender: wrong passwords are counted there, banned addresses refused
     * @param logins   the operators' login meter
     */
    public PartnerLogins(AccountService accounts, StorageRoot storage, Defender defender, Logins logins) {
        this.accounts = accounts;
        this.storage = storage;
        this.defender = defender;
        this.logins = logins;
    }

    /** The defender, for what a door does with bans beyond a login (an edge's list of bans). */
    public Defender defender() {
        return defender;
    }

    /** Until when {@code address} is banned: every door refuses a banned address before anything else. */
    /** The account, while it exists and is enabled (a session carried over to another node checks it again). */
    public Optional<Account> enabledAccount(String username) {
        return accounts.find(username).filter(Account::isEnabled);
    }

    public Optional<java.time.Instant> bannedUntil(String address) {
        return defender.bannedUntil(address);
    }

    /** Counts a connection a listener's door refused before any login ({@link PartnerDoor}). */
    void connectionRefused(String protocol, String reason) {
        logins.refused(protocol, reason);
    }

    /**
     * One login attempt.
     *
     * @param protocol what the partner speaks ({@code sftp}, {@code ftps}), also through an edge
     * @param method   {@code password} or {@code publickey}
     * @param username the name the client sent (hostile: logged escaped)
     * @param address  the partner's own address
     * @param via      the edge that relays it, or null
     */
    public record Attempt(String protocol, String method, String username, String address, String via) {

        String describe() {
            return method + " over " + protocol + (via == null ? "" : " via edge " + LogText.quoted(via)) + " of "
                    + LogText.quoted(username) + " from " + LogText.escaped(address);
        }
    }

    /** How a login ended. */
    public sealed interface Result permits Admitted, Refused {
    }

    /** In: the account and its files. */
    public record Admitted(Account account, LiveAccount live) implements Result {
    }

    /**
     * Not let in. {@code clientMessage} is what the client may be told (null: only that the login failed, never
     * whether the user exists); when set, the storage is at fault and the door ends the session with it.
     */
    public record Refused(Logins.Outcome outcome, String clientMessage) implements Result {
    }

    /** Checks a password; a wrong one is a failed login and counts against the address. */
    public Optional<Account> password(Attempt attempt, String password) {
        Optional<Account> account = accounts.authenticate(attempt.username(), password);
        if (account.isEmpty()) {
            log.warn("Login ({}) failed", attempt.describe());
            defender.failed(attempt.address());
            logins.decided(attempt.protocol(), attempt.method(), Logins.Outcome.FAILURE);
        }
        return account;
    }

    /** Checks a public key; one the account does not have is no failure (clients offer each key they hold). */
    public Optional<Account> publicKey(Attempt attempt, PublicKey key) {
        Optional<Account> account = accounts.authenticate(attempt.username(), key);
        if (account.isEmpty()) {
            log.info("Login ({}): public key {} {} not accepted", attempt.describe(), KeyUtils.getKeyType(key),
                    KeyUtils.getFingerPrint(key));
        }
        return account;
    }

    /** Whether the account may log in from the attempt's address; a refusal is logged and counted. */
    public boolean addressAllowed(Attempt attempt, Account account) {
        if (account.permits(attempt.address())) {
            return true;
        }
        log.warn("Login ({}) refused: not an address the account may log in from", attempt.describe());
        logins.decided(attempt.protocol(), attempt.method(), Logins.Outcome.REFUSED);
        return false;
    }

    /**
     * Everything after the credential: the address rule, the home opened with the account's quota, and the live
     * account. A success is not counted here: the door calls {@link #succeeded} once the session is really in.
     */
    public Result admit(Attempt attempt, Account account) {
        if (!addressAllowed(attempt, account)) {
            return new Refused(Logins.Outcome.REFUSED, null);
        }
        FileStore store;
        try {
            store = storage.open(account.getHome(), new Quota(account.getQuotaBytes(), account.getQuotaFiles()));
        } catch (StorageUnavailableException e) {
            log.error("Login ({}) refused: {}", attempt.describe(), e.getMessage());
            logins.decided(attempt.protocol(), attempt.method(), Logins.Outcome.REFUSED);
            return new Refused(Logins.Outcome.REFUSED, STORAGE_UNAVAILABLE);
        } catch (IOException e) {
            log.error("Login ({}) refused: the home directory {} cannot be opened", attempt.describe(),
                    LogText.quoted(account.getHome()), e);
            logins.decided(attempt.protocol(), attempt.method(), Logins.Outcome.REFUSED);
            return new Refused(Logins.Outcome.REFUSED, HOME_UNAVAILABLE);
        }
        log.info("Login ({}) accepted", attempt.describe());
        return new Admitted(account, new LiveAccount(accounts, account, store));
    }

    /** The login that got the session in, counted once the session is the account's. */
    public void succeeded(Attempt attempt) {
        logins.decided(attempt.protocol(), attempt.method(), Logins.Outcome.SUCCESS);
    }
}
