package io.ferry.transfer.pgp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyRing;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPObjectFactory;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPSignatureSubpacketVector;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PBESecretKeyDecryptor;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPContentVerifierBuilderProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyDataDecryptorFactoryBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyKeyEncryptionMethodGenerator;

/**
 * OpenPGP (RFC 4880, with the RFC 9580 key types Bouncy Castle reads) as Ferry uses it: one key ring read from
 * armored text, a message encrypted (and signed) or decrypted (and verified) as a stream, so a file of any size costs a
 * few buffers. Messages Ferry writes are AES-256 with an integrity packet (SEIPD v1, what every OpenPGP tool reads),
 * signatures SHA-256; messages without integrity protection are refused.
 */
final class OpenPgp {

    /** Bouncy Castle for the key operations (X25519, Ed25519, ...), not registered globally. */
    private static final Provider BC = new BouncyCastleProvider();
    /** The JDK's AES (with the CPU's AES instructions) for the bulk of a message. */
    private static final Provider CONTENT = Optional.ofNullable(Security.getProvider("SunJCE")).orElse(BC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BUFFER = 1 << 16;

    private OpenPgp() {
    }

    /** What a key ring says of itself. */
    record Description(String fingerprint, List<String> userIds, String algorithm, Instant created, Instant expires,
            boolean revoked, boolean canEncrypt, boolean canSign) {
    }

    /**
     * The one key ring in {@code text} (armored or binary): a {@link PGPPublicKeyRing} or a {@link PGPSecretKeyRing}.
     *
     * @throws IllegalArgumentException if it holds none, or more than one
     */
    static PGPKeyRing readRing(byte[] text) {
        try {
            PGPObjectFactory objects = new JcaPGPObjectFactory(PGPUtil.getDecoderStream(
                    new ByteArrayInputStream(text)));
            Object first = objects.nextObject();
            if (!(first instanceof PGPPublicKeyRing) && !(first instanceof PGPSecretKeyRing)) {
                throw new IllegalArgumentException("not an OpenPGP key (give the armored text of one public key or "
                        + "one key pair, as gpg --armor --export or --export-secret-keys writes it)");
            }
            if (objects.nextObject() != null) {
                throw new IllegalArgumentException("the text holds more than one key: import one at a time");
            }
            return (PGPKeyRing) first;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException known) {
                throw known;
            }
            throw new IllegalArgumentException("not a readable OpenPGP key: " + e.getMessage(), e);
        }
    }

    /** The key pair with its secret keys no longer protected by {@code passphrase} (they are sealed instead). */
    static PGPSecretKeyRing withoutPassphrase(PGPSecretKeyRing ring, String passphrase) {
        try {
            PBESecretKeyDecryptor decryptor = new JcePBESecretKeyDecryptorBuilder(
                    new JcaPGPDigestCalculatorProviderBuilder().setProvider(BC).build()).setProvider(BC)
                    .build(passphrase == null ? new char[0] : passphrase.toCharArray());
            PGPSecretKeyRing open = PGPSecretKeyRing.copyWithNewPassword(ring, decryptor, null);
            for (PGPSecretKey key : open) {
                if (!key.isPrivateKeyEmpty()) {
                    key.extractPrivateKey(null); // proves the passphrase was right
                }
            }
            return open;
        } catch (PGPException e) {
            throw new IllegalArgumentException("the key pair does not open with the passphrase given (a key pair is "
                    + "imported with its passphrase, then kept sealed without it)");
        }
    }

    static Description describe(PGPKeyRing ring, Instant now) {
        PGPPublicKey primary = ring.getPublicKey();
        List<String> ids = new ArrayList<>();
        for (Iterator<String> it = primary.getUserIDs(); it.hasNext();) {
            ids.add(it.next());
        }
        long valid = primary.getValidSeconds();
        Instant created = primary.getCreationTime().toInstant();
        boolean canSign = ring instanceof PGPSecretKeyRing && canSign(ring, now);
        return new Description(HexFormat.of().withUpperCase().formatHex(primary.getFingerprint()), ids,
                algorithm(primary), created, valid > 0 ? created.plusSeconds(valid) : null, primary.hasRevocation(),
                encryptionKey(ring, now).isPresent(), canSign);
    }

    /** The armored text of the public part of {@code ring} (what a partner is given). */
    static String armoredPublic(PGPKeyRing ring) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PGPKeyRing certificate = ring instanceof PGPSecretKeyRing secret ? secret.toCertificate() : ring;
            try (ArmoredOutputStream armored = ArmoredOutputStream.builder().clearHeaders().build(out)) {
                certificate.encode(armored);
            }
            return out.toString(StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String algorithm(PGPPublicKey key) {
        return switch (key.getAlgorithm()) {
            case PublicKeyAlgorithmTags.RSA_GENERAL, PublicKeyAlgorithmTags.RSA_SIGN,
                    PublicKeyAlgorithmTags.RSA_ENCRYPT -> "RSA-" + key.getBitStrength();
            case PublicKeyAlgorithmTags.DSA -> "DSA-" + key.getBitStrength();
            case PublicKeyAlgorithmTags.ECDSA -> "ECDSA-" + key.getBitStrength();
            case PublicKeyAlgorithmTags.EDDSA_LEGACY, PublicKeyAlgorithmTags.Ed25519 -> "Ed25519";
            case PublicKeyAlgorithmTags.Ed448 -> "Ed448";
            default -> "algorithm-" + key.getAlgorithm();
        };
    }

    /** Whether {@code key} is valid at {@code now}: not revoked, not expired. */
    private static boolean valid(PGPPublicKey key, Instant now) {
        long seconds = key.getValidSeconds();
        return !key.hasRevocation()
                && (seconds <= 0 || key.getCreationTime().toInstant().plusSeconds(seconds).isAfter(now));
    }

    /** The key flags its self-signatures give {@code key}, or 0 when none says. */
    private static int flags(PGPPublicKey key) {
        int flags = 0;
        for (Iterator<PGPSignature> it = key.getSignatures(); it.hasNext();) {
            PGPSignature signature = it.next();
            PGPSignatureSubpacketVector hashed = signature.getHashedSubPackets();
            // the primary's own certifications, or a subkey's binding by the primary (never a third party's word)
            boolean self = key.isMasterKey() ? signature.getKeyID() == key.getKeyID()
                    : signature.getSignatureType() == PGPSignature.SUBKEY_BINDING;
            if (hashed != null && self) {
                flags |= hashed.getKeyFlags();
            }
        }
        return flags;
    }

    /** The key of {@code ring} to encrypt to: a valid subkey flagged for encryption first, then the primary. */
    static Optional<PGPPublicKey> encryptionKey(PGPKeyRing ring, Instant now) {
        PGPPublicKey primary = ring.getPublicKey();
        if (!valid(primary, now)) {
            return Optional.empty();
        }
        PGPPublicKey found = null;
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext();) {
            PGPPublicKey key = it.next();
            int flags = flags(key);
            boolean encrypts = key.isEncryptionKey()
                    && (flags == 0 || (flags & (KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE)) != 0);
            if (encrypts && valid(key, now) && (found == null || found.isMasterKey())) {
                found = key;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether {@code key} may make signatures: flagged for it, or (no flags) a primary of a signing algorithm. */
    private static boolean signs(PGPPublicKey key) {
        int flags = flags(key);
        if (flags != 0) {
            return (flags & KeyFlags.SIGN_DATA) != 0;
        }
        return key.isMasterKey() && switch (key.getAlgorithm()) {
            case PublicKeyAlgorithmTags.RSA_ENCRYPT, PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT,
                    PublicKeyAlgorithmTags.ELGAMAL_GENERAL, PublicKeyAlgorithmTags.ECDH, PublicKeyAlgorithmTags.X25519,
                    PublicKeyAlgorithmTags.X448 -> false;
            default -> true;
        };
    }

    /** Whether a valid key of {@code ring} may sign. */
    static boolean canSign(PGPKeyRing ring, Instant now) {
        if (!valid(ring.getPublicKey(), now)) {
            return false;
        }
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext();) {
            PGPPublicKey key = it.next();
            if (signs(key) && valid(key, now)) {
                return true;
            }
        }
        return false;
    }

    /** The secret key of {@code ring} to sign with: the primary if it may sign, else a valid signing subkey. */
    static Optional<PGPSecretKey> signingKey(PGPSecretKeyRing ring, Instant now) {
        if (!valid(ring.getPublicKey(), now)) {
            return Optional.empty();
        }
        PGPSecretKey found = null;
        for (PGPSecretKey key : ring) {
            PGPPublicKey pub = key.getPublicKey();
            if (!key.isPrivateKeyEmpty() && signs(pub) && valid(pub, now)
                    && (found == null || !found.isMasterKey() && pub.isMasterKey())) {
                found = key;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * A stream that encrypts what is written to it for {@code to} (signed by {@code signWith} when given) into
     * {@code sink}, as one binary file named {@code fileName}; closing it completes the message (not {@code sink}).
     */
    static OutputStream encrypt(OutputStream sink, PGPKeyRing to, PGPSecretKeyRing signWith, String fileName,
            Instant now) throws IOException {
        PGPPublicKey recipient = encryptionKey(to, now).orElseThrow(() -> new PgpRejected("the key "
                + fingerprint(to) + " has no valid encryption key (expired or revoked)"));
        try {
            PGPSignatureGenerator signer = null;
            if (signWith != null) {
                PGPSecretKey key = signingKey(signWith, now).orElseThrow(() -> new PgpRejected("the key "
                        + fingerprint(signWith) + " has no valid signing key (expired or revoked)"));
                signer = new PGPSignatureGenerator(new JcaPGPContentSignerBuilder(
                        key.getPublicKey().getAlgorithm(), HashAlgorithmTags.SHA256).setProvider(BC),
                        key.getPublicKey());
                signer.init(PGPSignature.BINARY_DOCUMENT, key.extractPrivateKey(null));
            }
            PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(new JcePGPDataEncryptorBuilder(
                    SymmetricKeyAlgorithmTags.AES_256).setWithIntegrityPacket(true).setSecureRandom(RANDOM)
                    .setProvider(CONTENT));
            generator.addMethod(new JcePublicKeyKeyEncryptionMethodGenerator(recipient).setProvider(BC)
                    .setSecureRandom(RANDOM));
            OutputStream encrypted = generator.open(sink, new byte[BUFFER]);
            if (signer != null) {
                signer.generateOnePassVersion(false).encode(encrypted);
            }
            PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
            OutputStream data = literal.open(encrypted, PGPLiteralData.BINARY, fileName, new Date(), new byte[BUFFER]);
            PGPSignatureGenerator signing = signer;
            return new FilterOutputStream(data) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    data.write(b, off, len);
                    if (signing != null) {
                        signing.update(b, off, len);
                    }
                }

                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void close() throws IOException {
                    literal.close();
                    if (signing != null) {
                        try {
                            signing.generate().encode(encrypted);
                        } catch (PGPException e) {
                            throw new IOException("could not sign: " + e.getMessage(), e);
                        }
                    }
                    encrypted.close();
                }
            };
        } catch (PGPException e) {
            throw new IOException("could not encrypt: " + e.getMessage(), e);
        }
    }

    /**
     * The file inside the OpenPGP message {@code in}, decrypted with whichever of {@code ours} it was encrypted to,
     * as a stream. Its end is where the message is judged: a missing or bad signature (when {@code verifyWith} is given),
     * or a failed integrity check, throws {@link PgpRejected} there instead of ending the stream, so whoever stores
     * what it read must not publish it before the end.
     */
    static InputStream decrypt(InputStream in, List<PGPSecretKeyRing> ours, PGPKeyRing verifyWith) throws IOException {
        try {
            PGPObjectFactory outer = new JcaPGPObjectFactory(PGPUtil.getDecoderStream(in));
            Object next = nextObject(outer);
            while (next instanceof PGPMarker) {
                next = nextObject(outer);
            }
            if (!(next instanceof PGPEncryptedDataList list)) {
                throw new PgpRejected("not an OpenPGP encrypted message");
            }
            PGPPublicKeyEncryptedData chosen = null;
            PGPPrivateKey key = null;
            List<String> wanted = new ArrayList<>();
            for (PGPEncryptedData candidate : list) {
                if (candidate instanceof PGPPublicKeyEncryptedData encrypted) {
                    wanted.add(String.format("%016X", encrypted.getKeyID()));
                    for (PGPSecretKeyRing ring : ours) {
                        PGPSecretKey secret = ring.getSecretKey(encrypted.getKeyID());
                        if (secret != null && !secret.isPrivateKeyEmpty()) {
                            chosen = encrypted;
                            key = secret.extractPrivateKey(null);
                        }
                    }
                }
            }
            if (chosen == null) {
                throw new PgpRejected("the message is encrypted to none of Ferry's keys (it names key IDs "
                        + String.join(", ", wanted) + ")");
            }
            if (!chosen.isIntegrityProtected()) {
                throw new PgpRejected("the message has no integrity protection (an old format that can be altered "
                        + "unnoticed): refused");
            }
            InputStream clear = chosen.getDataStream(new JcePublicKeyDataDecryptorFactoryBuilder().setProvider(BC)
                    .setContentProvider(CONTENT).build(key));
            PGPObjectFactory inner = new JcaPGPObjectFactory(clear);
            Object packet = nextObject(inner);
            if (packet instanceof PGPCompressedData compressed) {
                inner = new JcaPGPObjectFactory(compressed.getDataStream());
                packet = nextObject(inner);
            }
            PGPOnePassSignature onePass = null;
            if (packet instanceof PGPOnePassSignatureList signatures && !signatures.isEmpty()) {
                onePass = signatures.get(0);
                packet = nextObject(inner);
            }
            if (!(packet instanceof PGPLiteralData literal)) {
                throw new PgpRejected("the message holds no file (or one signed before it, which Ferry does not read)");
            }
            PGPPublicKey signer = null;
            if (verifyWith != null) {
                if (onePass == null) {
                    throw new PgpRejected("the message is not signed, and the route requires a signature by "
                            + fingerprint(verifyWith));
                }
                signer = verifyWith.getPublicKey(onePass.getKeyID());
                if (signer == null) {
                    throw new PgpRejected(String.format("the message is signed by key ID %016X, not by the key %s "
                            + "the route requires", onePass.getKeyID(), fingerprint(verifyWith)));
                }
                onePass.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), signer);
            }
            return new Opened(literal.getInputStream(), clear, inner, chosen, signer == null ? null : onePass);
        } catch (PGPException e) {
            throw new PgpRejected("the message does not open: " + e.getMessage());
        }
    }

    private static Object nextObject(PGPObjectFactory objects) throws PgpRejected {
        try {
            return objects.nextObject();
        } catch (IOException | RuntimeException e) {
            throw new PgpRejected("not a readable OpenPGP message: " + e.getMessage());
        }
    }

    static String fingerprint(PGPKeyRing ring) {
        return HexFormat.of().withUpperCase().formatHex(ring.getPublicKey().getFingerprint());
    }

    /** The decrypted file; its end checks the signature (when one is required) and the message's integrity. */
    private static final class Opened extends InputStream {

        private final InputStream data;
        private final InputStream clear;
        private final PGPObjectFactory rest;
        private final PGPPublicKeyEncryptedData message;
        private final PGPOnePassSignature onePass;
        private boolean judged;

        Opened(InputStream data, InputStream clear, PGPObjectFactory rest, PGPPublicKeyEncryptedData message,
                PGPOnePassSignature onePass) {
            this.data = data;
            this.clear = clear;
            this.rest = rest;
            this.message = message;
            this.onePass = onePass;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = data.read(b, off, len);
            } catch (IOException e) {
                throw new PgpRejected("the message is damaged: " + e.getMessage());
            }
            if (n > 0 && onePass != null) {
                onePass.update(b, off, n);
            }
            if (n < 0 && !judged) {
                judged = true;
                judge();
            }
            return n;
        }

        private void judge() throws IOException {
            try {
                if (onePass != null) {
                    Object next = nextObject(rest);
                    if (!(next instanceof PGPSignatureList signatures) || signatures.isEmpty()) {
                        throw new PgpRejected("the message's signature is missing");
                    }
                    PGPSignature match = null;
                    for (PGPSignature signature : signatures) {
                        if (signature.getKeyID() == onePass.getKeyID()) {
                            match = signature;
                        }
                    }
                    if (match == null || !onePass.verify(match)) {
                        throw new PgpRejected(String.format("bad signature: the file does not match the signature "
                                + "made with key ID %016X", onePass.getKeyID()));
                    }
                }
                byte[] drain = new byte[BUFFER];
                while (clear.read(drain) >= 0) {
                    // the integrity packet comes after everything else
                }
                if (!message.verify()) {
                    throw new PgpRejected("the message was altered: its integrity check failed");
                }
            } catch (PGPException | IOException e) {
                if (e instanceof PgpRejected rejected) {
                    throw rejected;
                }
                throw new PgpRejected("the message's end does not read: " + e.getMessage());
            }
        }

        @Override
        public void close() throws IOException {
            data.close();
        }
    }
}
