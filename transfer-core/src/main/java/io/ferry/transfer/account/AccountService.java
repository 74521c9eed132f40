package io.ferry.transfer.account;

import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.ferry.storage.StorageRoot;

/**
 * Accounts and their keys: the one place that creates, changes and authenticates them, for every protocol and for
 * the REST API.
 */
@Service
public class AccountService {

    /** Usernames: letters, digits and {@code . _ - @}, starting with a letter or digit, at most 64 characters. */
    public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    public static final int MIN_PASSWORD_LENGTH = 8;
    public static final int MAX_PASSWORD_LENGTH = 1024;

    /** What an administrator gives to create an account; a null home means the username, null permissions all. */
    public record NewAccount(String username, String password, String home, Set<Permission> permissions,
            Boolean enabled, Long quotaBytes, Long quotaFiles, List<String> allowedAddresses,
            List<String> deniedAddresses) {
    }

    /** A partial update: null fields are left as they are. */
    public record AccountChanges(String password, String home, Set<Permission> permissions, Boolean enabled,
            Long quotaBytes, Long quotaFiles, List<String> allowedAddresses, List<String> deniedAddresses) {
    }

    private final AccountRepository accounts;
    private final AccountKeyRepository keys;
    private final PasswordEncoder passwordEncoder;
    private final PasswordChecks passwordChecks;
    /** Compared against when the user does not exist, so timing tells nothing about which usernames exist. */

    private final ApplicationEventPublisher events;

    AccountService(AccountRepository accounts, AccountKeyRepository keys, PasswordEncoder passwordEncoder,
            ApplicationEventPublisher events) {
        this.events = events;
        this.accounts = accounts;
        this.keys = keys;
        this.passwordEncoder = passwordEncoder;
        this.passwordChecks = new PasswordChecks(passwordEncoder);
    }

    @Transactional
    public Account create(NewAccount request) {
        String username = request.username();
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("username must be 1-64 characters: letters, digits, '.', '_', '-', '@',"
                    + " starting with a letter or digit");
        }
        String home = StorageRoot.normalizeHome(request.home() == null ? username : request.home());
        String hash = request.password() == null ? null : hash(request.password());
        Set<Permission> permissions = request.permissions() == null ? Permission.ALL : request.permissions();
        if (accounts.existsByUsername(username)) {
            throw new AccountConflictException("account '" + username + "' already exists");
        }
        Account account = new Account(username, hash, home, permissions, request.enabled() == null || request.enabled());
        account.setQuota(request.quotaBytes(), request.quotaFiles());
        account.setAddressRules(AddressRules.parse("allowedAddresses", request.allowedAddresses()),
                AddressRules.parse("deniedAddresses", request.deniedAddresses()));
        try {
            return accounts.saveAndFlush(account);
        } catch (DataIntegrityViolationException e) {
            throw new AccountConflictException("account '" + username + "' already exists");
        }
    }

    @Transactional(readOnly = true)
    public Optional<Account> find(String username) {
        return username == null ? Optional.empty() : accounts.findByUsername(username);
    }

    @Transactional(readOnly = true)
    public Account get(String username) {
        return find(username).orElseThrow(() -> new AccountNotFoundException("account '" + username + "' not found"));
    }

    @Transactional(readOnly = true)
    public Page<Account> list(String search, Pageable pageable) {
        if (search == null || search.isBlank()) {
            return accounts.findAll(pageable);
        }
        return accounts.findByUsernameContainingIgnoreCase(search.trim(), pageable);
    }

    @Transactional
    public Account update(String username, AccountChanges changes) {
        Account account = get(username);
        if (changes.password() != null) {
            account.setPasswordHash(hash(changes.password()));
        }
        if (changes.home() != null) {
            account.setHome(StorageRoot.normalizeHome(changes.home()));
        }
        if (changes.permissions() != null) {
            account.setPermissions(changes.permissions());
        }
        if (changes.enabled() != null) {
            if (account.isEnabled() && !changes.enabled()) {
                events.publishEvent(new AccountAccessRevoked(username, "the account was disabled"));
            }
            account.setEnabled(changes.enabled());
        }
        if (changes.quotaBytes() != null || changes.quotaFiles() != null) {
            account.setQuota(changes.quotaBytes(), changes.quotaFiles());
        }
        if (changes.allowedAddresses() != null || changes.deniedAddresses() != null) {
            account.setAddressRules(
                    changes.allowedAddresses() == null ? null
                            : AddressRules.parse("allowedAddresses", changes.allowedAddresses()),
                    changes.deniedAddresses() == null ? null
                            : AddressRules.parse("deniedAddresses", changes.deniedAddresses()));
        }
        return accounts.saveAndFlush(account);
    }

    /** The account's stored password hash (Spring's {@code {argon2}...} form), or null: for a configuration export. */
    @Transactional(readOnly = true)
    public String passwordHash(String username) {
        return get(username).getPasswordHash();
    }

    /**
     * Sets a password hash taken from a configuration export, as it is (the password itself is never known here).
     * Only the encoders this node checks with are accepted.
     */
    @Transactional
    public void restorePasswordHash(String username, String hash) {
        if (hash == null || !(hash.startsWith("{argon2}") || hash.startsWith("{bcrypt}"))) {
            throw new IllegalArgumentException("account '" + username + "': not a password hash this server checks "
                    + "({argon2} or {bcrypt})");
        }
        Account account = get(username);
        account.setPasswordHash(hash);
        accounts.saveAndFlush(account);
    }

    /** Deletes the account and its keys. Its files stay on the storage, for an administrator to archive or remove. */
    @Transactional
    public void delete(String username) {
        Account account = get(username);
        keys.deleteByAccountId(account.getId());
        accounts.delete(account);
        events.publishEvent(new AccountAccessRevoked(username, "the account was deleted"));
    }

    @Transactional
    public AccountKey addKey(String username, String authorizedKeysLine) {
        Account account = get(username);
        PublicKeys.Parsed parsed = PublicKeys.parse(authorizedKeysLine);
        if (keys.existsByAccountIdAndFingerprint(account.getId(), parsed.fingerprint())) {
            throw new AccountConflictException("key " + parsed.fingerprint() + " is already registered for '"
                    + username + "'");
        }
        try {
            return keys.saveAndFlush(new AccountKey(account.getId(), parsed.type(), parsed.canonical(),
                    parsed.fingerprint(), parsed.comment()));
        } catch (DataIntegrityViolationException e) {
            throw new AccountConflictException("key " + parsed.fingerprint() + " is already registered for '"
                    + username + "'");
        }
    }

    @Transactional(readOnly = true)
    public List<AccountKey> keys(String username) {
        return keys.findByAccountIdOrderById(get(username).getId());
    }

    @Transactional
    public void removeKey(String username, long keyId) {
        Account account = get(username);
        AccountKey key = keys.findById(keyId)
                .filter(k -> k.getAccountId().equals(account.getId()))
                .orElseThrow(() -> new AccountNotFoundException("key " + keyId + " of '" + username + "' not found"));
        keys.delete(key);
    }

    /**
     * Checks a password login. Unknown users, disabled accounts, key-only accounts and wrong passwords are all
     * simply empty, after the same amount of hashing work. A password that verified lately is not hashed again
     * ({@link PasswordChecks}).
     */
    public Optional<Account> authenticate(String username, String password) {
        // Looked up in its own short transaction; the deliberately slow hash runs outside any transaction.
        Optional<Account> account = find(username).filter(a -> a.getUsername().equals(username));
        Optional<String> hash = account.filter(Account::hasPassword).map(Account::getPasswordHash);
        boolean usable = password != null && password.length() <= MAX_PASSWORD_LENGTH;
        // a name without a password pays the same full check, never remembered (no user-name oracle)
        boolean matches = usable && (hash.isPresent() ? passwordChecks.matches(username, password, hash.get())
                : passwordChecks.matchesNothing(password));
        return account.filter(a -> matches && a.hasPassword() && a.isEnabled());
    }

    /** Checks a public-key login against the account's registered keys. */
    public Optional<Account> authenticate(String username, PublicKey offered) {
        Optional<Account> account = find(username).filter(a -> a.getUsername().equals(username))
                .filter(Account::isEnabled);
        if (account.isEmpty() || offered == null) {
            return Optional.empty();
        }
        String fingerprint = KeyUtils.getFingerPrint(offered);
        for (AccountKey key : keys.findByAccountIdOrderById(account.get().getId())) {
            // the fingerprint (SHA-256 of the key blob) selects; comparing the decoded keys confirms
            if (key.getFingerprint().equals(fingerprint)
                    && KeyUtils.compareKeys(PublicKeys.decode(key.getPublicKey()), offered)) {
                return account;
            }
        }
        return Optional.empty();
    }

    private String hash(String password) {
        if (password.length() < MIN_PASSWORD_LENGTH || password.length() > MAX_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("password must be " + MIN_PASSWORD_LENGTH + "-" + MAX_PASSWORD_LENGTH
                    + " characters");
        }
        return passwordEncoder.encode(password);
    }
}
