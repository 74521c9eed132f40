package io.ferry.transfer.partner;

import java.time.Instant;

/**
 * A remote endpoint Ferry connects to. The password and private key are never shown again once given: only whether
 * there is one.
 *
 * @param hostKey                SFTP: the server's host key fingerprint ({@code SHA256:...}) Ferry insists on: a
 *                               server that presents another key is refused, whatever else it says; null for FTPS
 * @param ftpsMode               FTPS: {@code explicit} or {@code implicit}; null for SFTP
 * @param certificateFingerprint FTPS: the pinned SHA-256 of the server's certificate, or null (then the trusted
 *                               certificates, or the JVM's CAs, with the host name checked)
 * @param hasTrustedCertificates FTPS: whether the administrator gave CA certificates to trust
 */
public record Partner(String name, String protocol, String host, int port, String username, boolean hasPassword,
        boolean hasPrivateKey, String hostKey, String remoteDir, int connectTimeoutSeconds, int transferTimeoutSeconds,
        int maxParallel, Instant createdAt, Instant updatedAt, String ftpsMode, String certificateFingerprint,
        boolean hasTrustedCertificates) {

    public Partner {
        hostKey = hostKey == null || hostKey.isEmpty() ? null : hostKey;
    }
}
