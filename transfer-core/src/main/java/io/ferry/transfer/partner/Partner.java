package io.ferry.transfer.partner;

import java.time.Instant;

/**
 * A remote endpoint Ferry connects to. The password and private key are never shown again once given: only whether
 * there is one.
 *
 * @param hostKey the server's host key fingerprint ({@code SHA256:...}) Ferry insists on: a server that presents
 *                another key is refused, whatever else it says
 */
public record Partner(String name, String protocol, String host, int port, String username, boolean hasPassword,
        boolean hasPrivateKey, String hostKey, String remoteDir, int connectTimeoutSeconds, int transferTimeoutSeconds,
        int maxParallel, Instant createdAt, Instant updatedAt) {
}
