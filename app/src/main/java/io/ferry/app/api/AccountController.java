package io.ferry.app.api;

import java.net.URI;
import java.util.List;

import org.springframework.data.domain.Sort;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.api.AccountDtos.AccountView;
import io.ferry.app.api.AccountDtos.AddKey;
import io.ferry.app.api.AccountDtos.CreateAccount;
import io.ferry.app.api.AccountDtos.KeyView;
import io.ferry.app.api.AccountDtos.UpdateAccount;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountKey;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.AccountService.AccountChanges;
import io.ferry.transfer.account.AccountService.NewAccount;
import io.ferry.transfer.account.Permission;

/** Partner accounts and their public keys. */
@RestController
@RequestMapping("/api/v1/accounts")
class AccountController {

    private final AccountService accounts;

    AccountController(AccountService accounts) {
        this.accounts = accounts;
    }

    @PostMapping
    ResponseEntity<AccountView> create(@RequestBody CreateAccount body) {
        Account account = accounts.create(new NewAccount(body.username(), body.password(), body.home(),
                body.permissions() == null ? null : Permission.parseAll(body.permissions()), body.enabled(),
                body.quotaBytes(), body.quotaFiles(), body.allowedAddresses(), body.deniedAddresses()));
        return ResponseEntity.created(URI.create("/api/v1/accounts/" + account.getUsername()))
                .body(AccountView.of(account));
    }

    @GetMapping
    PageView<AccountView> list(@RequestParam(required = false) String search,
            @RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "50") int size) {
        return PageView.of(accounts.list(search, PageView.request(page, size, Sort.by("username"))),
                AccountView::of);
    }

    @GetMapping("/{username}")
    AccountView get(@PathVariable String username) {
        return AccountView.of(accounts.get(username));
    }

    @PatchMapping("/{username}")
    AccountView update(@PathVariable String username, @RequestBody UpdateAccount body) {
        return AccountView.of(accounts.update(username, new AccountChanges(body.password(), body.home(),
                body.permissions() == null ? null : Permission.parseAll(body.permissions()), body.enabled(),
                body.quotaBytes(), body.quotaFiles(), body.allowedAddresses(), body.deniedAddresses())));
    }

    /** Same partial update as PATCH, for clients that only speak PUT. */
    @PutMapping("/{username}")
    AccountView replace(@PathVariable String username, @RequestBody UpdateAccount body) {
        return update(username, body);
    }

    @DeleteMapping("/{username}")
    ResponseEntity<Void> delete(@PathVariable String username) {
        accounts.delete(username);
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{username}/keys")
    ResponseEntity<KeyView> addKey(@PathVariable String username, @RequestBody AddKey body) {
        AccountKey key = accounts.addKey(username, body.publicKey());
        return ResponseEntity.created(URI.create("/api/v1/accounts/" + username + "/keys/" + key.getId()))
                .body(KeyView.of(key));
    }

    @GetMapping("/{username}/keys")
    List<KeyView> keys(@PathVariable String username) {
        return accounts.keys(username).stream().map(KeyView::of).toList();
    }

    @DeleteMapping("/{username}/keys/{id}")
    ResponseEntity<Void> removeKey(@PathVariable String username, @PathVariable long id) {
        accounts.removeKey(username, id);
        return ResponseEntity.noContent().build();
    }
}
