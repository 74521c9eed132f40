package io.ferry.common.ssh;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.OptionalFeature;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.cipher.CipherFactory;
import org.apache.sshd.common.helpers.AbstractFactoryManager;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.server.ServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which SSH algorithms Ferry offers (RFC 4253 section 7.1), on a node's listeners, at the edge's door and between
 * the edge and the nodes: one policy for all. Only modern ones by default: no SHA-1, no CBC, no RC4, no 3DES, no
 * DSA. ChaCha20-Poly1305 is supported but not offered by default: OpenSSH clients prefer it, and it is slower than
 * AES-GCM, which uses the CPU's AES instructions (docs/adr/0002). Ferry's own {@link ChaCha20Poly1305} replaces
 * MINA's.
 */
public final class SshAlgorithms {

    private static final Logger log = LoggerFactory.getLogger(SshAlgorithms.class);

    public static final List<String> DEFAULT_CIPHERS = List.of(
            "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr");
    public static final List<String> DEFAULT_KEX = List.of(
            "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256");
    public static final List<String> DEFAULT_MACS = List.of(
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512");
    public static final List<String> DEFAULT_SIGNATURES = List.of(
            "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "rsa-sha2-512", "rsa-sha2-256");

    /** The lists an administrator may change while the cluster runs (run-time settings {@code sftp.<name>}). */
    public static final List<String> RUNTIME = List.of("ciphers", "macs", "kex-algorithms");

    /**
     * What a run-time list may name, and so what an edge may be told to offer: the defaults and the modern ones
     * available on request. Nothing weak can come in through the settings API or a node's status (a configured
     * {@code ferry.sftp.*} list is the operator's own choice and is not held to it).
     */
    private static final Set<String> RUNTIME_ALLOWED = Set.copyOf(concat(DEFAULT_CIPHERS, DEFAULT_KEX, DEFAULT_MACS,
            List.of(ChaCha20Poly1305.NAME, "sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512",
                    "diffie-hellman-group-exchange-sha256")));

    /**
     * The lists to offer, in preference order; an empty list means the default one, whose names this JVM cannot
     * provide are left out (a configured name it cannot provide is an error).
     */
    public record Lists(List<String> ciphers, List<String> kexAlgorithms, List<String> macs,
            List<String> hostKeyAlgorithms) {

        /** The defaults throughout. */
        public static final Lists DEFAULTS = new Lists(List.of(), List.of(), List.of(), List.of());

        public Lists {
            ciphers = List.copyOf(ciphers);
            kexAlgorithms = List.copyOf(kexAlgorithms);
            macs = List.copyOf(macs);
            hostKeyAlgorithms = List.copyOf(hostKeyAlgorithms);
        }

        /**
         * These lists with run-time overrides by list name ({@code ciphers}, {@code macs}, {@code kex-algorithms},
         * each {@code a,b,c}); a missing or blank one keeps the list as it is.
         */
        public Lists with(Map<String, String> overrides) {
            return new Lists(override(overrides, "ciphers", ciphers),
                    override(overrides, "kex-algorithms", kexAlgorithms),
                    override(overrides, "macs", macs), hostKeyAlgorithms);
        }
    }

    private SshAlgorithms() {
    }

    /**
     * Sets a server's algorithms; {@code prefix} names the configuration in errors ({@code ferry.sftp.}). A change
     * applies to the sessions that start after it.
     *
     * @throws IllegalArgumentException a configured name is unknown or unsupported, or a list leaves nothing
     */
    public static void applyServer(Lists lists, AbstractFactoryManager server, String prefix) {
        List<CipherFactory> ciphers = resolve(prefix + "ciphers", or(lists.ciphers(), DEFAULT_CIPHERS),
                SshAlgorithms::cipher, lists.ciphers().isEmpty());
        List<BuiltinDHFactories> kex = resolve(prefix + "kex-algorithms", or(lists.kexAlgorithms(), DEFAULT_KEX),
                BuiltinDHFactories::fromFactoryName, lists.kexAlgorithms().isEmpty());
        List<BuiltinMacs> macs = resolve(prefix + "macs", or(lists.macs(), DEFAULT_MACS),
                BuiltinMacs::fromFactoryName, lists.macs().isEmpty());
        List<BuiltinSignatures> signatures = resolve(prefix + "host-key-algorithms",
                or(lists.hostKeyAlgorithms(), DEFAULT_SIGNATURES), BuiltinSignatures::fromFactoryName,
                lists.hostKeyAlgorithms().isEmpty());
        if (ciphers.contains(ChaCha20Poly1305.FACTORY)) {
            log.info("{}: key stream by the {}{}", ChaCha20Poly1305.NAME, ChaCha20Stream.implementation(),
                    Runtime.version().feature() < 20 && !ChaCha20Stream.implementation().startsWith("vector")
                            ? " (pure Java on Java " + Runtime.version().feature()
                                    + "; start the JVM with --add-modules jdk.incubator.vector for ~5x)"
                            : "");
        }
        server.setCipherFactories(new ArrayList<>(ciphers));
        server.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false, kex, ServerBuilder.DH2KEX));
        server.setMacFactories(new ArrayList<>(macs));
        server.setSignatureFactories(new ArrayList<>(signatures));
    }

    /** Sets a client's algorithms (the edge towards the nodes): the defaults this JVM provides. */
    public static void applyClient(AbstractFactoryManager client) {
        client.setCipherFactories(new ArrayList<>(resolve("ciphers", DEFAULT_CIPHERS, SshAlgorithms::cipher, true)));
        client.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false,
                resolve("kex-algorithms", DEFAULT_KEX, BuiltinDHFactories::fromFactoryName, true),
                ClientBuilder.DH2KEX));
        client.setMacFactories(new ArrayList<>(resolve("macs", DEFAULT_MACS, BuiltinMacs::fromFactoryName, true)));
        client.setSignatureFactories(new ArrayList<>(resolve("host-key-algorithms", DEFAULT_SIGNATURES,
                BuiltinSignatures::fromFactoryName, true)));
    }

    /**
     * A run-time value for {@code list}: blank (the configured list), or names this JVM provides, in preference
     * order; returned as {@code a,b,c}.
     *
     * @throws IllegalArgumentException a name is unknown or unsupported, or {@code list} is not a run-time list
     */
    public static String check(String list, String value) {
        if (value.isBlank()) {
            return "";
        }
        List<String> names = split(value);
        String property = "ferry.sftp." + list;
        for (String name : names) {
            if (!RUNTIME_ALLOWED.contains(name)) {
                throw new IllegalArgumentException(property + ": '" + name + "' is not one Ferry offers (no SHA-1, "
                        + "CBC, RC4, 3DES or 'none'); allowed: " + String.join(", ", allowed(list)));
            }
        }
        switch (list) {
            case "ciphers" -> resolve(property, names, SshAlgorithms::cipher, false);
            case "macs" -> resolve(property, names, BuiltinMacs::fromFactoryName, false);
            case "kex-algorithms" -> resolve(property, names, BuiltinDHFactories::fromFactoryName, false);
            default -> throw new IllegalArgumentException("no algorithm list " + list);
        }
        return String.join(",", names);
    }

    /**
     * Sets a server's algorithms to the defaults with the cluster's run-time lists (as an edge takes them from its
     * nodes): each list is checked as the settings API checks it, so a node cannot make an edge offer anything weak.
     *
     * @throws IllegalArgumentException a name is unknown, unsupported or not allowed at run time
     */
    public static void applyRuntime(Map<String, String> runtime, AbstractFactoryManager server, String prefix) {
        for (String list : RUNTIME) {
            check(list, runtime.getOrDefault(list, ""));
        }
        applyServer(Lists.DEFAULTS.with(runtime), server, prefix);
    }

    private static List<String> allowed(String list) {
        return RUNTIME_ALLOWED.stream().filter(name -> switch (list) {
            case "ciphers" -> cipher(name) != null;
            case "macs" -> BuiltinMacs.fromFactoryName(name) != null;
            default -> BuiltinDHFactories.fromFactoryName(name) != null;
        }).sorted().toList();
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> all = new ArrayList<>();
        for (List<String> list : lists) {
            all.addAll(list);
        }
        return all;
    }

    private static List<String> override(Map<String, String> overrides, String list, List<String> configured) {
        String value = overrides.get(list);
        return value == null || value.isBlank() ? configured : split(value);
    }

    private static List<String> split(String value) {
        return Arrays.stream(value.split(",")).map(String::trim).filter(n -> !n.isEmpty()).toList();
    }

    private static CipherFactory cipher(String name) {
        return ChaCha20Poly1305.NAME.equals(name) ? ChaCha20Poly1305.FACTORY : BuiltinCiphers.fromFactoryName(name);
    }

    private static List<String> or(List<String> configured, List<String> defaults) {
        return configured.isEmpty() ? defaults : configured;
    }

    /**
     * Resolves names to MINA's factories. A default this JVM cannot provide (a post-quantum exchange without
     * BouncyCastle, say) is left out; a configured name that is unknown or unsupported is an error.
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
                throw new IllegalArgumentException(property + ": '" + name
                        + "' is unknown or not supported by this JVM");
            }
            resolved.add(factory);
        }
        if (resolved.isEmpty()) {
            throw new IllegalArgumentException(property + " leaves no usable algorithm");
        }
        return resolved;
    }
}
