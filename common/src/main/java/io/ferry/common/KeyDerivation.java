package io.ferry.common;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One key from another for one purpose: HMAC-SHA256 of the purpose (UTF-8) under the key. The same key and purpose
 * give the same key on every node; a derived key tells nothing about the key or another purpose's.
 */
public final class KeyDerivation {

    private KeyDerivation() {
    }

    public static byte[] derive(byte[] key, String purpose) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }
}
