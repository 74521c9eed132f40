package io.ferry.transfer.ftp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.ferry.common.ftp.FtpsTls;
import io.ferry.transfer.notify.Notifications;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.secret.SealedPlace.Column;

/**
 * The TLS identity FTPS presents: a certificate and key from configuration (PKCS#12, or PEM certificate chain and
 * key), or else one generated on the first start (ECDSA P-256, self-signed) and kept in the database sealed with the
 * {@link MasterKey}, so every node presents the same certificate. Like the SSH host keys, the database's unique name
 * decides which of two nodes starting at once generates it.
 */
@Component
public class TlsCertificateStore {

    /** A TLS key and its certificate chain, leaf first. */
    public record Identity(PrivateKey key, List<X509Certificate> chain) {

        public String fingerprint() {
            return TlsCertificateStore.fingerprint(chain.get(0));
        }

        /** A key store holding the identity under the alias {@code ferry}, password {@link #PASSWORD}. */
        KeyStore keyStore() throws GeneralSecurityException, IOException {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("ferry", key, PASSWORD, chain.toArray(Certificate[]::new));
            return store;
        }
    }

    /** Protects nothing (the PKCS#12 is sealed with the master key); the format wants a password. */
    static final char[] PASSWORD = "ferry".toCharArray();
    private static final String NAME = "ftps";
    private static final Duration VALIDITY = Duration.ofDays(5 * 365);
    /** How long before its end a certificate is reported (log and {@code certificate-expiring}). */
    private static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    private static final Logger log = LoggerFactory.getLogger(TlsCertificateStore.class);

    private final TlsCertificateRepository repository;
    private final MasterKey masterKey;
    private final TransactionTemplate tx;
    private final ObjectProvider<Notifications> notifications;
    private static final Duration FINGERPRINT_FRESHNESS = Duration.ofSeconds(3);
    private volatile String configuredFingerprint;
    private volatile String storedFingerprint;
    private volatile long storedAt;

    TlsCertificateStore(TlsCertificateRepository repository, MasterKey masterKey, TransactionTemplate tx,
            ObjectProvider<Notifications> notifications) {
        this.notifications = notifications;
        this.repository = repository;
        this.masterKey = masterKey;
        this.tx = tx;
    }

    /** The configured identity when a certificate is given, else the cluster's stored (or a new) one. */
    public Identity load(FtpsProperties properties) {
        Identity identity = properties.certificate().isBlank() ? loadOrCreate() : fromFiles(properties);
        X509Certificate leaf = identity.chain().get(0);
        log.info("FTPS certificate {} valid until {}, SHA-256 {}", leaf.getSubjectX500Principal().getName(),
                leaf.getNotAfter().toInstant(), identity.fingerprint());
        if (leaf.getNotAfter().toInstant().isBefore(Instant.now().plus(EXPIRY_WARNING))) {
            log.warn("The FTPS certificate expires on {}: replace it", leaf.getNotAfter().toInstant());
            // once a day per certificate and node (every node loads it), however often it is loaded
            notifications.ifAvailable(n -> n.raise(Notifications.CERTIFICATE_EXPIRING, "The FTPS certificate "
                    + identity.fingerprint() + " expires on " + leaf.getNotAfter().toInstant(), "Ferry's FTPS "
                    + "certificate " + leaf.getSubjectX500Principal().getName() + " (SHA-256 " + identity.fingerprint()
                    + ") expires on " + leaf.getNotAfter().toInstant() + ". Replace it before then: console, Settings, "
                    + "or PUT /api/v1/ftps/certificate; partners that pinned it need the new fingerprint.",
                    Duration.ofDays(1)));
        }
        return identity;
    }

    /**
     * Replaces the cluster's stored certificate with a PEM chain (leaf first) and its PEM key (PKCS#8, encrypted
     * with {@code password} or not, or a traditional key pair): refused when the key is not the leaf's, the leaf has
     * expired or is not yet valid. Nodes load it when told (FtpsServer#reloadCertificate).
     */
    public Identity replace(String chainPem, String keyPem, String password) {
        Identity identity;
        try {
            identity = fromPem(new java.io.StringReader(chainPem == null ? "" : chainPem), "the certificate",
                    new java.io.StringReader(keyPem == null ? "" : keyPem), "the key", password == null ? "" : password);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        X509Certificate leaf = identity.chain().get(0);
        try {
            leaf.checkValidity();
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalArgumentException("the certificate is not valid now (" + leaf.getNotBefore() + " to "
                    + leaf.getNotAfter() + ")");
        }
        if (!matches(identity.key(), leaf.getPublicKey())) {
            throw new IllegalArgumentException("the key is not the certificate's (its public key differs)");
        }
        String sealed;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            identity.keyStore().store(out, PASSWORD);
            sealed = masterKey.sealText(out.toByteArray(), Column.TLS_CERTIFICATE.at(NAME));
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot store the FTPS certificate", e);
        }
        tx.executeWithoutResult(s -> {
            repository.findByName(NAME).ifPresent(old -> {
                repository.delete(old);
                repository.flush();
            });
            repository.saveAndFlush(new TlsCertificate(NAME, masterKey.id(), sealed, identity.fingerprint(),
                    leaf.getNotAfter().toInstant()));
        });
        log.warn("The FTPS certificate was replaced: now {}, SHA-256 {}", leaf.getSubjectX500Principal().getName(),
                identity.fingerprint());
        return identity;
    }

    /** Whether {@code key} signs what {@code publicKey} verifies. */
    private static boolean matches(PrivateKey key, java.security.PublicKey publicKey) {
        try {
            String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA"
                    : key.getAlgorithm().equals("Ed25519") ? "Ed25519" : "SHA256with" + key.getAlgorithm();
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            java.security.Signature sign = java.security.Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            java.security.Signature verify = java.security.Signature.getInstance(algorithm);
            verify.initVerify(publicKey);
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private Identity loadOrCreate() {
        return repository.findByName(NAME).map(this::unseal).orElseGet(this::create);
    }

    private Identity create() {
        Identity identity = generate();
        TlsCertificate row;
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            identity.keyStore().store(out, PASSWORD);
            row = new TlsCertificate(NAME, masterKey.id(),
                    masterKey.sealText(out.toByteArray(), Column.TLS_CERTIFICATE.at(NAME)), identity.fingerprint(),
                    identity.chain().get(0).getNotAfter().toInstant());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot store the FTPS certificate", e);
        }
        try {
            tx.executeWithoutResult(s -> repository.saveAndFlush(row));
            log.info("Generated a self-signed FTPS certificate, SHA-256 {}", row.getFingerprint());
            return identity;
        } catch (DataIntegrityViolationException e) {
            // another node stored one first: use that one, so every node presents the same certificate
            return repository.findByName(NAME).map(this::unseal).orElseThrow(() -> e);
        }
    }

    private Identity unseal(TlsCertificate row) {
        if (!row.getMasterKeyId().equals(masterKey.id())) {
            throw new IllegalStateException("The FTPS certificate was sealed with master key " + row.getMasterKeyId()
                    + " but this node has master key " + masterKey.id()
                    + ": give every node the same ferry.security.master-key");
        }
        byte[] pkcs12 = masterKey.openText(row.getSealedPkcs12(), Column.TLS_CERTIFICATE.at(row.getName()));
        try {
            return fromPkcs12(new ByteArrayInputStream(pkcs12), PASSWORD);
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("The stored FTPS certificate cannot be read", e);
        }
    }

    private static Identity generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=Ferry MFT,O=Ferry");
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    new BigInteger(128, new SecureRandom()), Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(VALIDITY)), name, pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            X509CertificateHolder holder = builder.build(
                    new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(holder);
            return new Identity(pair.getPrivate(), List.of(certificate));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("Cannot generate the FTPS certificate", e);
        }
    }

    private static Identity fromFiles(FtpsProperties properties) {
        Path certificate = Path.of(properties.certificate());
        String lower = certificate.getFileName().toString().toLowerCase(Locale.ROOT);
        try {
            if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
                try (InputStream in = Files.newInputStream(certificate)) {
                    return fromPkcs12(in, properties.certificatePassword().toCharArray());
                }
            }
            if (properties.certificateKey().isBlank()) {
                throw new IllegalStateException("ferry.ftps.certificate is PEM: give its key in ferry.ftps.certificate-key");
            }
            return fromPem(certificate, Path.of(properties.certificateKey()), properties.certificatePassword());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot read the FTPS certificate " + certificate + ": " + e.getMessage(), e);
        }
    }

    static Identity fromPkcs12(InputStream in, char[] password) throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(in, password);
        for (String alias : java.util.Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                PrivateKey key = (PrivateKey) store.getKey(alias, password);
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : store.getCertificateChain(alias)) {
                    chain.add((X509Certificate) c);
                }
                return new Identity(key, List.copyOf(chain));
            }
        }
        throw new GeneralSecurityException("the PKCS#12 file holds no private key");
    }

    static Identity fromPem(Path certificateFile, Path keyFile, String password)
            throws GeneralSecurityException, IOException {
        try (Reader certificate = Files.newBufferedReader(certificateFile);
                Reader key = Files.newBufferedReader(keyFile)) {
            return fromPem(certificate, certificateFile.toString(), key, keyFile.toString(), password);
        }
    }

    static Identity fromPem(Reader certificateReader, String certificateFile, Reader keyReader, String keyFile,
            String password) throws GeneralSecurityException, IOException {
        JcaX509CertificateConverter certificates = new JcaX509CertificateConverter();
        List<X509Certificate> chain = new ArrayList<>();
        try (PEMParser pem = new PEMParser(certificateReader)) {
            for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
                if (o instanceof X509CertificateHolder holder) {
                    chain.add(certificates.getCertificate(holder));
                }
            }
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + certificateFile);
        }
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        try (PEMParser pem = new PEMParser(keyReader)) {
            Object o = pem.readObject();
            PrivateKey key;
            if (o instanceof PEMKeyPair pair) {
                // a traditional key ("BEGIN EC PRIVATE KEY" may come without its public half)
                key = keys.getPrivateKey(pair.getPrivateKeyInfo());
            } else if (o instanceof PrivateKeyInfo info) {
                key = keys.getPrivateKey(info);
            } else if (o instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                try {
                    key = keys.getPrivateKey(encrypted.decryptPrivateKeyInfo(
                            new JceOpenSSLPKCS8DecryptorProviderBuilder().build(password.toCharArray())));
                } catch (org.bouncycastle.operator.OperatorCreationException
                        | org.bouncycastle.pkcs.PKCSException e) {
                    throw new GeneralSecurityException("cannot decrypt the key (wrong password?)", e);
                }
            } else {
                throw new GeneralSecurityException("no private key in " + keyFile);
            }
            return new Identity(key, List.copyOf(chain));
        }
    }

    static String fingerprint(X509Certificate certificate) {
        return FtpsTls.fingerprint(certificate);
    }

    /**
     * The fingerprint of the certificate the cluster presents now ({@link #load}'s), cheaply: the configured file's,
     * read once, or the stored one's, read again at most every few seconds. Edges follow it to present a replaced
     * certificate without a restart.
     */
    public String currentFingerprint(FtpsProperties properties) {
        if (!properties.certificate().isBlank()) {
            String configured = configuredFingerprint;
            if (configured == null) {
                configured = fromFiles(properties).fingerprint();
                configuredFingerprint = configured;
            }
            return configured;
        }
        long now = System.nanoTime();
        if (storedFingerprint == null || now - storedAt > FINGERPRINT_FRESHNESS.toNanos()) {
            storedFingerprint = repository.findByName(NAME).map(TlsCertificate::getFingerprint).orElse("");
            storedAt = now;
        }
        return storedFingerprint;
    }
}
