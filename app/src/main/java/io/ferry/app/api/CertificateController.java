package io.ferry.app.api;

import java.util.Map;

import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.cluster.ClusterNode;
import io.ferry.transfer.ftp.FtpsServer;

/**
 * {@code PUT /api/v1/ftps/certificate}: replaces the cluster's FTPS certificate (PEM chain and key); every node
 * presents it to new connections at once. The console's Settings page does the same.
 */
@RestController
class CertificateController {

    record Replacement(String certificate, String key, String password) {
    }

    private final FtpsServer ftps;
    private final ClusterNode node;

    CertificateController(FtpsServer ftps, ClusterNode node) {
        this.ftps = ftps;
        this.node = node;
    }

    @PutMapping("/api/v1/ftps/certificate")
    Map<String, String> replace(@RequestBody Replacement body) {
        String fingerprint = ftps.replaceCertificate(body.certificate(), body.key(), body.password());
        node.broadcast(FtpsServer.CERTIFICATE_REPLACED);
        return Map.of("fingerprint", fingerprint);
    }
}
