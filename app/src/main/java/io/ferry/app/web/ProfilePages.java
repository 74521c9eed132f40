package io.ferry.app.web;

import java.security.Principal;

import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

import io.ferry.app.admin.AdminTotp;

/** The signed-in administrator's own sign-in: the optional TOTP second factor (any role). */
@Controller
class ProfilePages {

    private final AdminTotp totp;

    ProfilePages(AdminTotp totp) {
        this.totp = totp;
    }

    @GetMapping("/profile")
    String profile(Principal who, Model model) {
        model.addAttribute("totpEnabled", totp.enabled(who.getName()));
        if (!model.containsAttribute("setup")) {
            model.addAttribute("setup", null);
        }
        return "profile";
    }

    @PostMapping("/profile/totp/setup")
    String setup(Principal who, Model model) {
        model.addAttribute("setup", totp.setup(who.getName()));
        model.addAttribute("totpEnabled", false);
        return "profile";
    }

    @PostMapping("/profile/totp")
    String enable(@RequestParam String secret, @RequestParam String code, Principal who,
            RedirectAttributes redirect) {
        return Console.apply(redirect, "/profile", () -> {
            totp.enable(who.getName(), secret, code.replace(" ", ""));
            return "Two-factor sign-in is on: your next sign-in asks for a code.";
        });
    }

    @PostMapping("/profile/totp/off")
    String disable(Principal who, RedirectAttributes redirect) {
        return Console.apply(redirect, "/profile", () -> {
            totp.disable(who.getName());
            return "Two-factor sign-in is off.";
        });
    }
}
