package io.ferry.common.ftp;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.listener.Listener;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.ssl.ClientAuth;
import org.apache.ftpserver.ssl.SslConfiguration;

/**
 * The TLS of an FTPS server, on a node and at the edge alike: TLS 1.3 and 1.2 with forward-secret AEAD suites only,
 * control connections on the configured versions and data connections on TLS 1.2 where it is allowed, and a
 * certificate that can be replaced while the server runs (sessions already open keep theirs).
 *
 * <p>Data connections prefer TLS 1.2: after a TLS 1.3 handshake the server sends session tickets that an uploading
 * client never reads, and when it closes the connection with them unread its kernel resets it, which ends an upload
 * as "Connection reset" instead of end-of-file (curl with OpenSSL does this). They share the control connections'
 * context, so a data connection resumes the TLS 1.2 session of its control connection (an abbreviated handshake,
 * as clients that require session reuse expect).
 */
public final class FtpsTls {

    /** TLS versions by default. */
    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /** TLS 1.3 suites, then TLS 1.2 ECDHE with AEAD only: forward secrecy, no CBC, no RSA key exchange. */
    public static final List<String> DEFAULT_CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    /** Where an FTPS listener listens and how its data connections behave. */
    public record ListenerSettings(String bindAddress, int port, boolean implicit, String passivePorts,
            String passiveAddress, boolean activeEnabled, Duration idleTimeout, Duration dataTimeout) {
    }

    private final AtomicReference<SSLContext> current;
    private final SslConfiguration control;
    private final SslConfiguration data;

    /**
     * @param context      the certificate's context ({@link #context})
     * @param protocols    TLS versions for control connections
     * @param cipherSuites suites in preference order; empty: {@link #DEFAULT_CIPHER_SUITES}
     * @throws IllegalStateException none of the suites is supported by this JVM
     */
    public FtpsTls(SSLContext context, List<String> protocols, List<String> cipherSuites) {
        this.current = new AtomicReference<>(context);
        SSLContext reloadable = new Reloadable(current);
        Set<String> supported = Set.of(context.getSupportedSSLParameters().getCipherSuites());
        String[] suites = (cipherSuites.isEmpty() ? DEFAULT_CIPHER_SUITES : cipherSuites).stream()
                .filter(supported::contains).toArray(String[]::new);
        if (suites.length == 0) {
            throw new IllegalStateException("ferry.ftps.cipher-suites: none is supported by this JVM");
        }
        this.control = configuration(reloadable, protocols.toArray(String[]::new), suites);
        this.data = protocols.contains("TLSv1.2") ? configuration(reloadable, new String[] {"TLSv1.2"}, suites)
                : control;
    }

    /** The context of a key and its certificate chain, as a key store holds them. */
    public static SSLContext context(KeyStore store, char[] password) throws GeneralSecurityException {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    /** A certificate's SHA-256 fingerprint as Ferry shows it everywhere: colon-separated upper-case hex. */
    public static String fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot fingerprint the certificate", e);
        }
    }

    /** Presents another certificate from the next connection on; sessions already open keep theirs. */
    public void replace(SSLContext context) {
        current.set(context);
    }

    /** An FtpServer listener with this TLS on its control and data connections. */
    public Listener listener(ListenerSettings settings) {
        DataConnectionConfigurationFactory dataConnections = new DataConnectionConfigurationFactory();
        dataConnections.setPassivePorts(settings.passivePorts());
        if (!settings.passiveAddress().isBlank()) {
            dataConnections.setPassiveExternalAddress(settings.passiveAddress());
        }
        dataConnections.setActiveEnabled(settings.activeEnabled());
        dataConnections.setActiveIpCheck(true); // PORT/EPRT only to the client's own address: no FTP bounce
        dataConnections.setPassiveIpCheck(true); // the data connection must come from the client's address
        dataConnections.setIdleTime((int) Math.max(1, settings.dataTimeout().toSeconds()));
        dataConnections.setSslConfiguration(data);
        dataConnections.setImplicitSsl(settings.implicit());

        ListenerFactory listener = new ListenerFactory();
        listener.setServerAddress(settings.bindAddress());
        listener.setPort(settings.port());
        listener.setSslConfiguration(control);
        listener.setImplicitSsl(settings.implicit());
        listener.setIdleTimeout((int) Math.max(0, settings.idleTimeout().toSeconds()));
        listener.setDataConnectionConfiguration(dataConnections.createDataConnectionConfiguration());
        return listener.createListener();
    }

    private static SslConfiguration configuration(SSLContext context, String[] protocols, String[] suites) {
        return new SslConfiguration() {
            @Override
            public SSLSocketFactory getSocketFactory() {
                return context.getSocketFactory();
            }

            @Override
            public SSLContext getSSLContext() {
                return context;
            }

            @Override
            public SSLContext getSSLContext(String protocol) {
                return context;
            }

            @Override
            public String[] getEnabledCipherSuites() {
                return suites.clone();
            }

            @Override
            public String getEnabledProtocol() {
                return protocols[0];
            }

            @Override
            public String[] getEnabledProtocols() {
                return protocols.clone();
            }

            @Override
            public ClientAuth getClientAuth() {
                return ClientAuth.NONE;
            }
        };
    }

    /** An SSLContext that hands every new engine and socket to the current certificate's context. */
    private static final class Reloadable extends SSLContext {
        Reloadable(AtomicReference<SSLContext> current) {
            super(new SSLContextSpi() {
                @Override
                protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
                    throw new UnsupportedOperationException("initialised already");
                }

                @Override
                protected SSLSocketFactory engineGetSocketFactory() {
                    return current.get().getSocketFactory();
                }

                @Override
                protected SSLServerSocketFactory engineGetServerSocketFactory() {
                    return current.get().getServerSocketFactory();
                }

                @Override
                protected SSLEngine engineCreateSSLEngine() {
                    return current.get().createSSLEngine();
                }

                @Override
                protected SSLEngine engineCreateSSLEngine(String host, int port) {
                    return current.get().createSSLEngine(host, port);
                }

                @Override
                protected SSLSessionContext engineGetServerSessionContext() {
                    return current.get().getServerSessionContext();
                }

                @Override
                protected SSLSessionContext engineGetClientSessionContext() {
                    return current.get().getClientSessionContext();
                }

                @Override
                protected SSLParameters engineGetDefaultSSLParameters() {
                    return current.get().getDefaultSSLParameters();
                }

                @Override
                protected SSLParameters engineGetSupportedSSLParameters() {
                    return current.get().getSupportedSSLParameters();
                }
            }, current.get().getProvider(), current.get().getProtocol());
        }
    }
}
