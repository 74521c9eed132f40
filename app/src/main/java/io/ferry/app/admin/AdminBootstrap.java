package io.ferry.app.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;

import io.ferry.app.config.AdminProperties;
import io.ferry.app.config.NodeProperties;

/**
 * Creates the {@code admin} user on the first start of a new installation: with {@code ferry.admin.password}
 * ({@code FERRY_ADMIN_PASSWORD}) if given, else with a generated password written to
 * {@code <data-dir>/initial-admin-password} (owner-only), never to the log; {@link FirstStartReport} tells the
 * operator where it is. Does nothing once an {@code admin} user exists.
 */
@Component
class AdminBootstrap implements SmartInitializingSingleton {

    static final String ADMIN = "admin";
    static final String PASSWORD_FILE = "initial-admin-password";
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);

    private final AdminUserRepository admins;
    private final PasswordEncoder encoder;
    private final AdminProperties properties;
    private final NodeProperties node;
    private volatile Created created;

    /**
     * What this start did: it created the administrator, whose password is in {@code passwordFile} (null: the
     * password the operator configured).
     */
    record Created(Path passwordFile) {
    }

    AdminBootstrap(AdminUserRepository admins, PasswordEncoder encoder, AdminProperties properties,
            NodeProperties node) {
        this.admins = admins;
        this.encoder = encoder;
        this.properties = properties;
        this.node = node;
    }

    @Override
    public void afterSingletonsInstantiated() {
        if (admins.existsByUsername(ADMIN)) {
            return;
        }
        boolean generated = properties.password() == null || properties.password().isBlank();
        String password = generated ? generate() : properties.password();
        try {
            admins.saveAndFlush(new AdminUser(ADMIN, encoder.encode(password), AdminRole.ADMIN.name()));
        } catch (DataIntegrityViolationException e) {
            log.info("Another node created the admin user first");
            return;
        }
        Path file = null;
        if (generated) {
            file = passwordFile();
            write(file, password);
        }
        created = new Created(file);
    }

    /**
     * The administrator of a new installation: the one this start created, or one an earlier start created whose
     * generated password is still in its file (the operator has not taken it over yet, or that first start ended
     * before it was ready); null otherwise.
     */
    Created fresh() {
        if (created != null) {
            return created;
        }
        Path file = passwordFile();
        return Files.exists(file) ? new Created(file) : null;
    }

    private Path passwordFile() {
        return node.dataDir().resolve(PASSWORD_FILE).toAbsolutePath().normalize();
    }

    private static String generate() {
        SecureRandom random = new SecureRandom();
        StringBuilder password = new StringBuilder(24);
        for (int i = 0; i < 24; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }

    private static void write(Path file, String password) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file, e);
        }
    }
}
