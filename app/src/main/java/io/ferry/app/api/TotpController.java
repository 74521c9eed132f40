package io.ferry.app.api;

import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.admin.AdminTotp;

/**
 * The caller's own TOTP second factor ({@code /api/v1/me/totp}, any role), and an ADMIN's reset of someone else's
 * ({@code DELETE /api/v1/admin-users/{username}/totp}, for a lost phone).
 */
@RestController
class TotpController {

    record Enable(String secret, String code) {
    }

    private final AdminTotp totp;

    TotpController(AdminTotp totp) {
        this.totp = totp;
    }

    @GetMapping("/api/v1/me/totp")
    Map<String, Object> state(Authentication user) {
        return Map.of("username", user.getName(), "enabled", totp.enabled(user.getName()));
    }

    /** A new secret and its {@code otpauth://} URI; nothing is stored until {@code PUT} proves a code. */
    @PostMapping("/api/v1/me/totp/setup")
    AdminTotp.Setup setup(Authentication user) {
        return totp.setup(user.getName());
    }

    @PutMapping("/api/v1/me/totp")
    ResponseEntity<Map<String, Object>> enable(@RequestBody Enable request, Authentication user) {
        totp.enable(user.getName(), request.secret(), request.code());
        return ResponseEntity.ok(Map.of("username", user.getName(), "enabled", true));
    }

    @DeleteMapping("/api/v1/me/totp")
    ResponseEntity<Void> disable(Authentication user) {
        totp.disable(user.getName());
        return ResponseEntity.noContent().build();
    }

    @DeleteMapping("/api/v1/admin-users/{username}/totp")
    ResponseEntity<Void> reset(@PathVariable String username) {
        totp.disable(username);
        return ResponseEntity.noContent().build();
    }
}
