package io.ferry.transfer.account;

import java.security.PublicKey;
import java.util.Collections;

import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;

/** Parses OpenSSH {@code authorized_keys} lines with Apache MINA's key decoders. */
final class PublicKeys {

    /** A parsed key: its type, canonical {@code type base64} text, fingerprint and comment. */
    record Parsed(PublicKey key, String type, String canonical, String fingerprint, String comment) {
    }

    private PublicKeys() {
    }

    /**
     * @throws IllegalArgumentException with a message for the API client when the line is not one supported public key
     */
    static Parsed parse(String line) {
        if (line == null || line.isBlank()) {
            throw new IllegalArgumentException("publicKey must be an OpenSSH public key line, e.g. 'ssh-ed25519 AAAA... comment'");
        }
        if (line.contains("\n") || line.contains("\r")) {
            throw new IllegalArgumentException("publicKey must be a single line");
        }
        try {
            AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.trim());
            if (entry == null) {
                throw new IllegalArgumentException("publicKey is empty or a comment");
            }
            PublicKey key = entry.resolvePublicKey(null, Collections.emptyMap(), PublicKeyEntryResolver.FAILING);
            if (key == null) {
                throw new IllegalArgumentException("publicKey has an unsupported key type '" + entry.getKeyType() + "'");
            }
            String comment = entry.getComment() == null || entry.getComment().isBlank() ? null
                    : entry.getComment().trim();
            if (comment != null && comment.length() > 255) {
                comment = comment.substring(0, 255);
            }
            String canonical = PublicKeyEntry.toString(key);
            if (canonical.length() > 4096) {
                throw new IllegalArgumentException("publicKey is too long (at most 4096 characters)");
            }
            return new Parsed(key, KeyUtils.getKeyType(key), canonical, KeyUtils.getFingerPrint(key), comment);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("publicKey is not a valid OpenSSH public key: " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException("publicKey is not a valid OpenSSH public key: " + e.getMessage(), e);
        }
    }

    /** Decodes a key stored by {@link #parse(String)} ({@code type base64}). */
    static PublicKey decode(String canonical) {
        return parse(canonical).key();
    }
}
