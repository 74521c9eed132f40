package io.ferry.transfer.partner;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** Trust for FTPS partners: the administrator's CA certificates (PEM), or the JVM's own trusted CAs. */
final class Certificates {

    private Certificates() {
    }

    /**
     * A trust manager over the PEM certificates given, or over the JVM's default trust store when {@code pem} is
     * null.
     *
     * @throws IllegalArgumentException when {@code pem} holds no certificate
     */
    static X509TrustManager trustManager(String pem) {
        try {
            KeyStore store = null;
            if (pem != null) {
                Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                        .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
                if (certificates.isEmpty()) {
                    throw new IllegalArgumentException("trustedCertificates holds no certificate");
                }
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                int i = 0;
                for (Certificate certificate : certificates) {
                    store.setCertificateEntry("trusted-" + i++, certificate);
                }
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X.509 trust manager");
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("trustedCertificates cannot be read (PEM, one or more CERTIFICATE "
                    + "blocks): " + e.getMessage());
        }
    }
}
