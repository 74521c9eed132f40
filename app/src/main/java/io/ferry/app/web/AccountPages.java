package io.ferry.app.web;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Sort;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.transfer.account.Account;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.AccountService.AccountChanges;
import io.ferry.transfer.account.AccountService.NewAccount;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferQuery;

/** Partner accounts: the list, creating and editing one, its public keys and its transfer history. */
@Controller
@RequestMapping("/accounts")
class AccountPages {

    private static final int PAGE_SIZE = 25;

    /** What the account form posts; blank fields mean "unchanged" on an edit, an unchecked box is false. */
    record AccountForm(String username, String password, String home, List<String> permissions, Boolean enabled,
            Long quotaBytes, Long quotaFiles, String allowedAddresses, String deniedAddresses) {
    }

    private final AccountService accounts;
    private final TransferLog transferLog;

    AccountPages(AccountService accounts, TransferLog transferLog) {
        this.accounts = accounts;
        this.transferLog = transferLog;
    }

    @GetMapping
    String list(@RequestParam(required = false) String search, @RequestParam(defaultValue = "0") int page,
            Model model) {
        model.addAttribute("search", search);
        model.addAttribute("accounts", accounts.list(Console.blankToNull(search),
                PageRequest.of(Math.max(0, page), PAGE_SIZE, Sort.by("username"))));
        return "accounts";
    }

    @GetMapping("/new")
    String create(Model model) {
        model.addAttribute("permissions", Permission.values());
        model.addAttribute("account", null);
        return "account-form";
    }

    @PostMapping
    String create(AccountForm form, RedirectAttributes redirect) {
        String[] created = new String[1];
        String back = Console.apply(redirect, "/accounts/new", () -> {
            Account account = accounts.create(new NewAccount(Console.blankToNull(form.username()),
                    Console.blankToNull(form.password()), Console.blankToNull(form.home()), permissions(form),
                    Boolean.TRUE.equals(form.enabled()), form.quotaBytes(), form.quotaFiles(),
                    addresses(form.allowedAddresses()), addresses(form.deniedAddresses())));
            created[0] = account.getUsername();
            return "Account " + account.getUsername() + " created.";
        });
        return created[0] == null ? back : "redirect:/accounts/" + created[0];
    }

    @GetMapping("/{username}")
    String show(@PathVariable String username, Model model) {
        model.addAttribute("account", accounts.get(username));
        model.addAttribute("keys", accounts.keys(username));
        model.addAttribute("permissions", Permission.values());
        model.addAttribute("transfers", transferLog.search(new TransferQuery(username, null, null, null),
                PageRequest.of(0, 20, Sort.by(Sort.Direction.DESC, "id"))).getContent());
        return "account";
    }

    @PostMapping("/{username}")
    String update(@PathVariable String username, AccountForm form, RedirectAttributes redirect) {
        return Console.apply(redirect, "/accounts/" + username, () -> {
            accounts.update(username, new AccountChanges(Console.blankToNull(form.password()),
                    Console.blankToNull(form.home()), permissions(form), Boolean.TRUE.equals(form.enabled()),
                    form.quotaBytes(),
                    form.quotaFiles(), addresses(form.allowedAddresses()), addresses(form.deniedAddresses())));
            return "Account " + username + " saved.";
        });
    }

    @PostMapping("/{username}/delete")
    String delete(@PathVariable String username, RedirectAttributes redirect) {
        return Console.apply(redirect, "/accounts", () -> {
            accounts.delete(username);
            return "Account " + username + " deleted.";
        });
    }

    @PostMapping("/{username}/keys")
    String addKey(@PathVariable String username, @RequestParam String publicKey, RedirectAttributes redirect) {
        return Console.apply(redirect, "/accounts/" + username, () ->
                "Key " + accounts.addKey(username, publicKey.trim()).getFingerprint() + " added.");
    }

    @PostMapping("/{username}/keys/{id}/delete")
    String removeKey(@PathVariable String username, @PathVariable long id, RedirectAttributes redirect) {
        return Console.apply(redirect, "/accounts/" + username, () -> {
            accounts.removeKey(username, id);
            return "Key removed.";
        });
    }

    private static Set<Permission> permissions(AccountForm form) {
        return form.permissions() == null ? Set.of() : Permission.parseAll(form.permissions());
    }

    /** One address or CIDR block per line or separated by commas; null (unchanged) when the field was not sent. */
    private static List<String> addresses(String field) {
        if (field == null) {
            return null;
        }
        return Arrays.stream(field.split("[,\\s]+")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
