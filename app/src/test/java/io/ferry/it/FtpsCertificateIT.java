package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;

import javax.net.ssl.X509TrustManager;

import org.apache.commons.net.ftp.FTPSClient;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.ferry.transfer.ftp.FtpsServer;

/**
 * Replacing the cluster's FTPS certificate while the node runs: explicit and implicit listeners present the new one
 * to the next connection, a key that is not the certificate's is refused and changes nothing.
 */
class FtpsCertificateIT extends NodeIT {

    @Autowired
    FtpsServer ftpsServer;

    @Test
    void aReplacedCertificateShouldBePresentedToTheNextConnectionOnBothListeners() throws Exception {
        KeyPair pair = keyPair();
        X509Certificate certificate = certificate(pair, "CN=ftps.example.test,O=Example");
        String chain = pem(certificate);
        String key = pem(pair.getPrivate());
        String expected = fingerprint(certificate);
        String before = presented(false);
        assertThat(before).isEqualTo(ftpsServer.certificateFingerprint()).isNotEqualTo(expected);

        Api.Response mismatched = admin().put("/api/v1/ftps/certificate", json(chain, pem(keyPair().getPrivate())));
        assertThat(mismatched.status()).isEqualTo(400);
        assertThat(mismatched.body()).contains("not the certificate's");
        assertThat(presented(false)).as("a refused replacement changes nothing").isEqualTo(before);
        assertThat(admin().put("/api/v1/ftps/certificate", json("not a certificate", key)).status()).isEqualTo(400);

        Api.Response replaced = admin().put("/api/v1/ftps/certificate", json(chain, key));
        assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
        assertThat(replaced.json().get("fingerprint").asString()).isEqualTo(expected);
        await().atMost(Duration.ofSeconds(10)).until(() -> presented(false).equals(expected));
        assertThat(presented(true)).as("the implicit listener too").isEqualTo(expected);
        assertThat(ftpsServer.certificateFingerprint()).isEqualTo(expected);
        assertThat(admin().get("/api/v1/cluster").status()).isEqualTo(200);
    }

    private static String json(String chain, String key) {
        return "{\"certificate\":\"" + chain.replace("\n", "\\n") + "\",\"key\":\"" + key.replace("\n", "\\n") + "\"}";
    }

    /** The fingerprint of the certificate a listener presents, as an FTPS client sees it. */
    private String presented(boolean implicit) throws Exception {
        String[] seen = new String[1];
        FTPSClient client = new FTPSClient(implicit);
        client.setTrustManager(new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                try {
                    seen[0] = fingerprint(chain[0]);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        });
        client.connect("127.0.0.1", implicit ? ftpsServer.implicitPort() : ftpsServer.explicitPort());
        try {
            if (!implicit) {
                client.execAUTH("TLS");
                client.sendCommand("NOOP");
            }
            return seen[0];
        } finally {
            client.disconnect();
        }
    }

    private static String fingerprint(X509Certificate certificate) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
    }

    static KeyPair keyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    static X509Certificate certificate(KeyPair pair, String subject) throws Exception {
        X500Name name = new X500Name(subject);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(30))), name,
                pair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new JcaX509CertificateConverter().getCertificate(builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    }

    /** A certificate, or a private key as PKCS#8 ("BEGIN PRIVATE KEY", as openssl writes it). */
    static String pem(Object object) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof java.security.PrivateKey key) {
                writer.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(key, null));
            } else {
                writer.writeObject(object);
            }
        }
        return out.toString();
    }
}
