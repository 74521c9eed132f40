package io.ferry.app.api;

import java.util.Map;

import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.ferry.app.cluster.FtpsCertificates;

/**
 * {@code PUT /api/v1/ftps/certificate}: replaces the cluster's FTPS certificate (PEM chain and key); every node
 * presents it to new connections at once. The console's Settings page does the same.
 */
@RestController
class CertificateController {

    record Replacement(String certificate, String key, String password) {
    }

    private final FtpsCertificates certificates;

    CertificateController(FtpsCertificates certificates) {
        this.certificates = certificates;
    }

    @PutMapping("/api/v1/ftps/certificate")
    Map<String, String> replace(@RequestBody Replacement body) {
        return Map.of("fingerprint", certificates.replace(body.certificate(), body.key(), body.password()));
    }
}
