package io.ferry.app.api;

import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.admin.AdminUserService;
import io.ferry.app.admin.AdminUserService.AdminView;

/** The console's and API's users: {@code admin} changes anything, {@code operator} only reads. */
@RestController
@RequestMapping("/api/v1/admin-users")
class AdminUserController {

    record CreateAdmin(String username, String password, String role) {
    }

    record UpdateAdmin(String password, String role, Boolean enabled) {
    }

    private final AdminUserService admins;

    AdminUserController(AdminUserService admins) {
        this.admins = admins;
    }

    @GetMapping
    List<AdminView> list() {
        return admins.list();
    }

    @GetMapping("/{username}")
    AdminView get(@PathVariable String username) {
        return admins.get(username);
    }

    @PostMapping
    ResponseEntity<AdminView> create(@RequestBody CreateAdmin body) {
        AdminView created = admins.create(body.username(), body.password(), body.role());
        return ResponseEntity.created(URI.create("/api/v1/admin-users/" + created.username())).body(created);
    }

    @PatchMapping("/{username}")
    AdminView update(@PathVariable String username, @RequestBody UpdateAdmin body) {
        return admins.update(username, body.password(), body.role(), body.enabled());
    }

    @DeleteMapping("/{username}")
    ResponseEntity<Void> delete(@PathVariable String username) {
        admins.delete(username);
        return ResponseEntity.noContent().build();
    }
}
