package io.ferry.edge;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

import javax.net.ssl.SSLContext;

import io.ferry.common.ftp.FtpsTls;

/** The cluster's FTPS certificate chain and key, as a node's {@code identity} answer carries them; memory only. */
record TlsIdentity(PrivateKey key, List<X509Certificate> chain) {

    static TlsIdentity decode(Properties answer) throws GeneralSecurityException {
        String key = answer.getProperty("tls.key");
        if (key == null) {
            throw new GeneralSecurityException("the node sent no FTPS certificate");
        }
        PrivateKey privateKey = KeyFactory.getInstance(answer.getProperty("tls.keyAlgorithm", "EC"))
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(key)));
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 0; answer.containsKey("tls.chain." + i); i++) {
            chain.add((X509Certificate) x509.generateCertificate(new ByteArrayInputStream(
                    Base64.getDecoder().decode(answer.getProperty("tls.chain." + i)))));
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("the node sent a key without its certificate");
        }
        return new TlsIdentity(privateKey, List.copyOf(chain));
    }

    /** The certificate chain and key of a PKCS#12 file: its first key entry. */
    static TlsIdentity load(Path file, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, password);
        }
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias)) {
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate certificate : store.getCertificateChain(alias)) {
                    chain.add((X509Certificate) certificate);
                }
                return new TlsIdentity((PrivateKey) store.getKey(alias, password), List.copyOf(chain));
            }
        }
        throw new GeneralSecurityException(file + " holds no key with its certificate");
    }

    SSLContext context() throws GeneralSecurityException {
        try {
            char[] password = "edge".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("ferry", key, password, chain.toArray(Certificate[]::new));
            return FtpsTls.context(store, password);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
    }
}
