package io.ferry.app.cluster;

import org.springframework.stereotype.Component;

import io.ferry.cluster.ClusterMessage;
import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.ftp.FtpsServer;

/**
 * The one way the cluster's FTPS certificate is replaced (the console and the API both call it): this node stores
 * and presents it, and the others are told to load it; every node listens for that here.
 */
@Component
public class FtpsCertificates {

    private final FtpsServer ftps;
    private final ClusterNode node;

    FtpsCertificates(FtpsServer ftps, ClusterNode node) {
        this.ftps = ftps;
        this.node = node;
        node.onMessage(ClusterMessage.CertificateReplaced.class, m -> ftps.reloadCertificate());
    }

    /** Replaces it with a PEM chain and key; answers its SHA-256 fingerprint. */
    public String replace(String chainPem, String keyPem, String password) {
        String fingerprint = ftps.replaceCertificate(chainPem, keyPem, password);
        node.broadcast(new ClusterMessage.CertificateReplaced());
        return fingerprint;
    }
}
