package io.ferry.app.web;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;

/** The login page, and the page shown when a role may not do what it asked. */
@Controller
class LoginController {

    @GetMapping("/login")
    String login() {
        return "login";
    }

    @RequestMapping("/denied")
    String denied() {
        return "denied";
    }
}
