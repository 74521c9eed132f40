package io.ferry.app.web;

import java.time.Instant;

import org.springframework.security.core.Authentication;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.admin.AdminRole;
import io.ferry.app.admin.AdminUserService;
import io.ferry.app.admin.ApiTokens;

/** The people who use this console: administrators and read-only operators. */
@Controller
class AdminPages {

    private final AdminUserService admins;
    private final ApiTokens tokens;

    AdminPages(AdminUserService admins, ApiTokens tokens) {
        this.admins = admins;
        this.tokens = tokens;
    }

    @GetMapping("/admins")
    String list(Model model) {
        model.addAttribute("admins", admins.list());
        model.addAttribute("tokens", tokens.list());
        model.addAttribute("now", Instant.now());
        model.addAttribute("roles", AdminRole.values());
        model.addAttribute("minPassword", AdminUserService.MIN_PASSWORD_LENGTH);
        return "admins";
    }

    @PostMapping("/admins")
    String create(@RequestParam String username, @RequestParam String password, @RequestParam String role,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins", () ->
                "Administrator " + admins.create(username.trim(), password, role).username() + " created.");
    }

    @PostMapping("/admins/{username}")
    String update(@PathVariable String username, @RequestParam(required = false) String password,
            @RequestParam(required = false) String role, @RequestParam(required = false) Boolean enabled,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins", () -> {
            admins.update(username, password, role, enabled);
            return "Administrator " + username + " saved.";
        });
    }

    /** Makes an API token and shows its secret on the next page, once. */
    @PostMapping("/admins/tokens")
    String createToken(@RequestParam String name, @RequestParam String scope, @RequestParam int days,
            Authentication who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins#tokens", () -> {
            ApiTokens.Created created = tokens.create(name.trim(), scope, days, who.getName());
            redirect.addFlashAttribute("createdToken", created.secret());
            redirect.addFlashAttribute("createdTokenName", created.token().name());
            return "API token " + created.token().name() + " made. Copy it now: it is not shown again.";
        });
    }

    @PostMapping("/admins/tokens/{id}/revoke")
    String revokeToken(@PathVariable long id, Authentication who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins#tokens", () -> {
            if (!tokens.revoke(id, who.getName())) {
                throw new IllegalArgumentException("no active token " + id);
            }
            return "API token revoked.";
        });
    }

    @PostMapping("/admins/{username}/delete")
    String delete(@PathVariable String username, RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins", () -> {
            admins.delete(username);
            return "Administrator " + username + " deleted.";
        });
    }
}
