package io.ferry.transfer.sftp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Properties;

import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.session.ServerSession;

/**
 * The proof an edge forwards that a partner holds its private key: what the partner signed at the edge in its
 * {@code publickey} request (RFC 4252 section 7: the SSH session identifier of its connection to the edge, its user
 * name, the service, the algorithm and the key), checked here against the key, so an edge cannot log in as a
 * key-auth account with the public key alone. Each signature earns one ticket, in the whole cluster and for good:
 * its digest is recorded in the database ({@code edge_signatures}), and one recorded before is refused.
 *
 * <p>The request's properties: {@code sessionId}, {@code keyBlob} and {@code signature} (base64 of the bytes as the
 * partner sent them), {@code algorithm} and {@code service}.
 */
final class PartnerSignatures {

    /** Records a signature's digest for a user name and edge; false when it was recorded before. */
    interface Ledger {
        boolean firstUse(String digest, String username, String edge);
    }

    private final Ledger ledger;

    PartnerSignatures(Ledger ledger) {
        this.ledger = ledger;
    }

    /** Whether the request carries a signature at all (a key merely offered has none). */
    static boolean present(Properties request) {
        return request.getProperty("signature") != null;
    }

    /**
     * Whether the request's signature is {@code key}'s over what an SSH client signs to log in as {@code username},
     * checked with the signature algorithms this node's listener allows, and not used before.
     *
     * @throws IllegalArgumentException when the request's fields are missing or malformed
     */
    boolean verify(ServerSession control, String edge, String username, PublicKey key, Properties request)
            throws Exception {
        byte[] sessionId = bytes(request, "sessionId");
        byte[] keyBlob = bytes(request, "keyBlob");
        byte[] signature = bytes(request, "signature");
        String algorithm = required(request, "algorithm");
        String service = required(request, "service");
        if (!"ssh-connection".equals(service) || sessionId.length == 0 || sessionId.length > 64) {
            return false;
        }
        PublicKey signer = new ByteArrayBuffer(keyBlob).getRawPublicKey();
        if (signer instanceof OpenSshCertificate || !KeyUtils.compareKeys(signer, key)) {
            return false;
        }
        Signature verifier = NamedFactory.create(control.getSignatureFactories(), algorithm);
        if (verifier == null) {
            return false;
        }
        verifier.initVerifier(control, signer);
        Buffer signed = new ByteArrayBuffer();
        signed.putBytes(sessionId);
        signed.putByte(SshConstants.SSH_MSG_USERAUTH_REQUEST);
        signed.putString(username);
        signed.putString(service);
        signed.putString("publickey");
        signed.putBoolean(true);
        signed.putString(algorithm);
        signed.putBytes(keyBlob);
        verifier.update(control, signed.array(), signed.rpos(), signed.available());
        if (!verifier.verify(control, signature)) {
            return false;
        }
        return ledger.firstUse(digest(sessionId, username), username, edge);
    }

    private static String digest(byte[] sessionId, String username) throws NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(sessionId);
        sha.update((byte) 0);
        return HexFormat.of().formatHex(sha.digest(username.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] bytes(Properties request, String name) {
        try {
            return Base64.getDecoder().decode(required(request, name));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " is not base64", e);
        }
    }

    private static String required(Properties request, String name) {
        String value = request.getProperty(name);
        if (value == null) {
            throw new IllegalArgumentException("a signed public-key login needs " + name);
        }
        return value;
    }
}
