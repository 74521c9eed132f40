package io.ferry.transfer.sftp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * The SSH host keys, kept in the database sealed with the {@link MasterKey}. The first node to start generates them
 * (ed25519 and RSA 3072); every later node, and every restart, loads the same ones, so partners see one host key
 * whichever node serves them. When two nodes start at once, the database's unique key on the algorithm picks one
 * generator and the other loads its key.
 */
@Component
public class HostKeyStore {

    /** Algorithms generated on first start, strongest preference first: key type and size. */
    private static final List<Object[]> GENERATED = List.of(
            new Object[] {KeyPairProvider.SSH_ED25519, 256},
            new Object[] {KeyPairProvider.SSH_RSA, 3072});

    private static final Logger log = LoggerFactory.getLogger(HostKeyStore.class);

    private final HostKeyRepository repository;
    private final MasterKey masterKey;
    private final TransactionTemplate tx;

    HostKeyStore(HostKeyRepository repository, MasterKey masterKey, TransactionTemplate tx) {
        this.repository = repository;
        this.masterKey = masterKey;
        this.tx = tx;
    }

    /** Loads the host keys, generating and storing any that do not exist yet. */
    public List<KeyPair> loadOrCreate() {
        List<KeyPair> pairs = new ArrayList<>();
        for (Object[] spec : GENERATED) {
            String type = (String) spec[0];
            pairs.add(repository.findByAlgorithm(type).map(this::unseal).orElseGet(() -> create(type, type,
                    (int) spec[1])));
        }
        for (KeyPair pair : pairs) {
            log.info("SSH host key {} {}", KeyUtils.getKeyType(pair), KeyUtils.getFingerPrint(pair.getPublic()));
        }
        return pairs;
    }

    /** Rows of the edge listener's own keys are named with this prefix and the key type. */
    private static final String INTERNAL = "edge-listener:";

    /**
     * The host key of the nodes' internal listener for edges (ed25519), apart from the partners' keys: edges are
     * given the partners' keys to present, never this one.
     */
    public List<KeyPair> internalKeys() {
        String name = INTERNAL + KeyPairProvider.SSH_ED25519;
        return List.of(repository.findByAlgorithm(name).map(this::unseal)
                .orElseGet(() -> create(name, KeyPairProvider.SSH_ED25519, 256)));
    }

    /** Fingerprints ({@code SHA256:...}) of the internal listener's keys: what edges pin. */
    public List<String> internalFingerprints() {
        return internalKeys().stream().map(k -> KeyUtils.getFingerPrint(k.getPublic())).toList();
    }

    /** Fingerprints ({@code SHA256:...}) of the stored host keys, by algorithm. */
    public List<String> fingerprints() {
        return repository.findAll().stream().filter(k -> !k.getAlgorithm().startsWith(INTERNAL))
                .map(k -> k.getAlgorithm() + " " + k.getFingerprint()).toList();
    }

    private KeyPair create(String name, String type, int bits) {
        KeyPair pair;
        try {
            pair = KeyUtils.generateKeyPair(type, bits);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot generate a " + type + " host key", e);
        }
        HostKey row = new HostKey(name, masterKey.id(), masterKey.sealText(encode(pair), Column.HOST_KEY.at(name)),
                KeyUtils.getFingerPrint(pair.getPublic()));
        try {
            tx.executeWithoutResult(s -> repository.saveAndFlush(row));
            log.info("Generated SSH host key {} {}", name, row.getFingerprint());
            return pair;
        } catch (DataIntegrityViolationException e) {
            // Another node stored one first: use that one, so all nodes agree.
            return repository.findByAlgorithm(name).map(this::unseal).orElseThrow(() -> e);
        }
    }

    private KeyPair unseal(HostKey row) {
        if (!row.getMasterKeyId().equals(masterKey.id())) {
            throw new IllegalStateException("The " + row.getAlgorithm() + " host key was sealed with master key "
                    + row.getMasterKeyId() + " but this node has master key " + masterKey.id()
                    + ": give every node the same ferry.security.master-key");
        }
        byte[] encoded = masterKey.openText(row.getSealedKey(), Column.HOST_KEY.at(row.getAlgorithm()));
        try {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null,
                    NamedResource.ofName("host key " + row.getAlgorithm()), new ByteArrayInputStream(encoded), null);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            if (it == null || !it.hasNext()) {
                throw new IllegalStateException("The stored " + row.getAlgorithm() + " host key is empty");
            }
            return it.next();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("The stored " + row.getAlgorithm() + " host key cannot be read", e);
        }
    }

    private static byte[] encode(KeyPair pair) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new OpenSSHKeyPairResourceWriter().writePrivateKey(pair, "ferry", null, out);
            return out.toByteArray();
        } catch (IOException | GeneralSecurityException e) {
            throw new UncheckedIOException(new IOException("Cannot encode the host key", e));
        }
    }
}
