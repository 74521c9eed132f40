package io.ferry.edge;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.OptionalFeature;
import org.apache.sshd.common.cipher.BuiltinCiphers;
import org.apache.sshd.common.helpers.AbstractFactoryManager;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.mac.BuiltinMacs;
import org.apache.sshd.common.signature.BuiltinSignatures;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.server.ServerBuilder;

/**
 * The SSH algorithms the edge offers partners and uses towards the nodes: the nodes' default policy (no SHA-1, no
 * CBC, no RC4, no 3DES, no DSA). AES-GCM comes first: on Java 17 it is several times cheaper than MINA's
 * ChaCha20-Poly1305, which is left out (docs/adr/0002).
 */
final class EdgeAlgorithms {

    static final List<String> CIPHERS = List.of(
            "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr");
    static final List<String> KEX = List.of(
            "mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org",
            "ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
            "diffie-hellman-group16-sha512", "diffie-hellman-group18-sha512", "diffie-hellman-group14-sha256");
    static final List<String> MACS = List.of(
            "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512");
    static final List<String> SIGNATURES = List.of(
            "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "rsa-sha2-512", "rsa-sha2-256");

    private EdgeAlgorithms() {
    }

    static void apply(AbstractFactoryManager manager, boolean server) {
        manager.setCipherFactories(new ArrayList<>(supported(CIPHERS, BuiltinCiphers::fromFactoryName)));
        List<BuiltinDHFactories> kex = supported(KEX, BuiltinDHFactories::fromFactoryName);
        manager.setKeyExchangeFactories(NamedFactory.setUpTransformedFactories(false, kex,
                server ? ServerBuilder.DH2KEX : ClientBuilder.DH2KEX));
        manager.setMacFactories(new ArrayList<>(supported(MACS, BuiltinMacs::fromFactoryName)));
        manager.setSignatureFactories(new ArrayList<>(supported(SIGNATURES, BuiltinSignatures::fromFactoryName)));
    }

    /** The names this JVM supports, in order (a post-quantum exchange needs BouncyCastle, for one). */
    private static <T extends OptionalFeature> List<T> supported(List<String> names, Function<String, T> lookup) {
        List<T> resolved = new ArrayList<>();
        for (String name : names) {
            T factory = lookup.apply(name);
            if (factory != null && factory.isSupported()) {
                resolved.add(factory);
            }
        }
        return resolved;
    }
}
