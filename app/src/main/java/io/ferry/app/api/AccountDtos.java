package io.ferry.app.api;

import java.time.Instant;
import java.util.List;

import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountKey;
import io.ferry.transfer.account.Permission;

/** Request and response bodies of {@code /api/v1/accounts}. */
final class AccountDtos {

    private AccountDtos() {
    }

    /** {@code POST /api/v1/accounts}. */
    record CreateAccount(String username, String password, String home, List<String> permissions, Boolean enabled,
            Long quotaBytes, Long quotaFiles, List<String> allowedAddresses, List<String> deniedAddresses) {
    }

    /** {@code PATCH /api/v1/accounts/{username}}: absent fields stay as they are. */
    record UpdateAccount(String password, String home, List<String> permissions, Boolean enabled, Long quotaBytes,
            Long quotaFiles, List<String> allowedAddresses, List<String> deniedAddresses) {
    }

    record AccountView(String username, String home, List<String> permissions, boolean enabled, boolean hasPassword,
            long quotaBytes, long quotaFiles, List<String> allowedAddresses, List<String> deniedAddresses,
            Instant createdAt, Instant updatedAt) {

        static AccountView of(Account account) {
            return new AccountView(account.getUsername(), account.getHome(),
                    account.getPermissions().stream().sorted().map(Permission::key).toList(), account.isEnabled(),
                    account.hasPassword(), account.getQuotaBytes(), account.getQuotaFiles(),
                    account.getAllowedAddresses(), account.getDeniedAddresses(), account.getCreatedAt(),
                    account.getUpdatedAt());
        }
    }

    /** {@code POST /api/v1/accounts/{username}/keys}. */
    record AddKey(String publicKey) {
    }

    record KeyView(long id, String type, String fingerprint, String comment, String publicKey, Instant createdAt) {

        static KeyView of(AccountKey key) {
            return new KeyView(key.getId(), key.getKeyType(), key.getFingerprint(), key.getComment(),
                    key.getPublicKey(), key.getCreatedAt());
        }
    }
}
