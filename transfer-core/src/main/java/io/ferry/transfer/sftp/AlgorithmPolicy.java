package io.ferry.transfer.sftp;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.OptionalFeature;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.CipherFactory;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which SSH algorithms the server offers (RFC 4253 section 7.1). Only modern ones by default: no SHA-1, no CBC, no
 * RC4, no 3DES, no DSA. ChaCha20-Poly1305 is supported but not offered by default: OpenSSH clients prefer it, and
 * it is slower than AES-GCM, which uses the CPU's AES instructions (docs/adr/0002). Ferry's own
 * {@link ChaCha20Poly1305} replaces MINA's.
 */
final class AlgorithmPolicy {

    private static final Logger log = LoggerFactory.getLogger(AlgorithmPolicy.class);

    static final List<String> DEFAULT_CIPHERS = List.of(
            "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr");
    static final List<String> DEFAULT_KEX = List.of(
            "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256");
    static final List<String> DEFAULT_MACS = List.of(
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512");
    static final List<String> DEFAULT_SIGNATURES = List.of(
            "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "rsa-sha2-512", "rsa-sha2-256");

    private AlgorithmPolicy() {
    }

    /** The lists an administrator may change while the node runs (run-time settings {@code sftp.<name>}). */
    static final List<String> RUNTIME = List.of("ciphers", "macs", "kex-algorithms");

    static void apply(SftpProperties properties, SshServer server) {
        apply(properties, java.util.Map.of(), server);
    }

    /**
     * With run-time overrides by list name ({@code ciphers}, {@code macs}, {@code kex-algorithms}; a blank one means
     * the configured list): a change applies to sessions that start after it.
     */
    static void apply(SftpProperties configured, java.util.Map<String, String> overrides, SshServer server) {
        SftpProperties properties = new SftpProperties(configured.enabled(), configured.port(),
                configured.bindAddress(), configured.idleTimeout(), configured.authTimeout(),
                configured.maxAuthAttempts(), configured.windowSize(), configured.maxReadPacket(),
                override(overrides, "ciphers", configured.ciphers()),
                override(overrides, "kex-algorithms", configured.kexAlgorithms()),
                override(overrides, "macs", configured.macs()), configured.hostKeyAlgorithms());
        List<CipherFactory> ciphers = resolve("ciphers", or(properties.ciphers(), DEFAULT_CIPHERS),
                AlgorithmPolicy::cipher, properties.ciphers().isEmpty());
        if (ciphers.contains(ChaCha20Poly1305.FACTORY)) {
            log.info("{}: key stream by the {}{}", ChaCha20Poly1305.NAME, ChaCha20Stream.implementation(),
                    Runtime.version().feature() < 20 && !ChaCha20Stream.implementation().startsWith("vector")
                            ? " (pure Java on Java " + Runtime.version().feature()
                                    + "; start the JVM with --add-modules jdk.incubator.vector for ~5x)"
                            : "");
        }
        server.setCipherFactories(new ArrayList<>(ciphers));
        List<BuiltinDHFactories> kex = resolve("kex-algorithms", or(properties.kexAlgorithms(), DEFAULT_KEX),
                BuiltinDHFactories::fromFactoryName, properties.kexAlgorithms().isEmpty());
        server.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false, kex, ServerBuilder.DH2KEX));
        server.setMacFactories(new ArrayList<>(resolve("macs", or(properties.macs(), DEFAULT_MACS),
                BuiltinMacs::fromFactoryName, properties.macs().isEmpty())));
        server.setSignatureFactories(new ArrayList<>(resolve("host-key-algorithms",
                or(properties.hostKeyAlgorithms(), DEFAULT_SIGNATURES), BuiltinSignatures::fromFactoryName,
                properties.hostKeyAlgorithms().isEmpty())));
    }

    private static List<String> override(java.util.Map<String, String> overrides, String list, List<String> configured) {
        String value = overrides.get(list);
        return value == null || value.isBlank() ? configured : split(value);
    }

    private static List<String> split(String value) {
        return java.util.Arrays.stream(value.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
    }

    /**
     * A run-time value for {@code list}: blank (the configured list), or names this JVM provides, in preference
     * order; returned as {@code a,b,c}.
     */
    static String check(String list, String value) {
        if (value.isBlank()) {
            return "";
        }
        List<String> names = split(value);
        switch (list) {
            case "ciphers" -> resolve(list, names, AlgorithmPolicy::cipher, false);
            case "macs" -> resolve(list, names, BuiltinMacs::fromFactoryName, false);
            case "kex-algorithms" -> resolve(list, names, BuiltinDHFactories::fromFactoryName, false);
            default -> throw new IllegalArgumentException("no algorithm list " + list);
        }
        return String.join(",", names);
    }

    private static CipherFactory cipher(String name) {
        return ChaCha20Poly1305.NAME.equals(name) ? ChaCha20Poly1305.FACTORY : BuiltinCiphers.fromFactoryName(name);
    }

    private static List<String> or(List<String> configured, List<String> defaults) {
        return configured.isEmpty() ? defaults : configured;
    }

    /**
     * Resolves names to MINA's factories. A default this JVM cannot provide (a post-quantum exchange without
     * BouncyCastle, say) is left out; a configured name that is unknown or unsupported stops the start.
     */
    private static <T extends OptionalFeature> List<T> resolve(String property, List<String> names,
            Function<String, T> lookup, boolean defaults) {
        List<T> resolved = new ArrayList<>();
        for (String name : names) {
            T factory = lookup.apply(name.trim());
            if (factory == null || !factory.isSupported()) {
                if (defaults) {
                    continue;
                }
                throw new IllegalArgumentException("ferry.sftp." + property + ": '" + name
                        + "' is unknown or not supported by this JVM");
            }
            resolved.add(factory);
        }
        if (resolved.isEmpty()) {
            throw new IllegalArgumentException("ferry.sftp." + property + " leaves no usable algorithm");
        }
        return resolved;
    }
}
