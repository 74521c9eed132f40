package io.ferry.app.admin;

import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetails;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Administrators for Spring Security, from the {@code admin_users} table. */
@Service
class AdminUserDetailsService implements UserDetailsService {

    private final AdminUserRepository admins;

    AdminUserDetailsService(AdminUserRepository admins) {
        this.admins = admins;
    }

    @Override
    @Transactional(readOnly = true)
    public UserDetails loadUserByUsername(String username) {
        AdminUser admin = admins.findByUsername(username)
                .orElseThrow(() -> new UsernameNotFoundException("no such administrator"));
        return User.withUsername(admin.getUsername())
                .password(admin.getPasswordHash())
                .roles(admin.getRole())
                .disabled(!admin.isEnabled())
                .build();
    }
}
