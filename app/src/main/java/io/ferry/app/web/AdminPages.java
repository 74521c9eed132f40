package io.ferry.app.web;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.admin.AdminRole;
import io.ferry.app.admin.AdminUserService;

/** The people who use this console: administrators and read-only operators. */
@Controller
class AdminPages {

    private final AdminUserService admins;

    AdminPages(AdminUserService admins) {
        this.admins = admins;
    }

    @GetMapping("/admins")
    String list(Model model) {
        model.addAttribute("admins", admins.list());
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

    @PostMapping("/admins/{username}/delete")
    String delete(@PathVariable String username, RedirectAttributes redirect) {
        return Console.apply(redirect, "/admins", () -> {
            admins.delete(username);
            return "Administrator " + username + " deleted.";
        });
    }
}
