package io.ferry.transfer.pgp;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
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
        Status status = status(ring, primary);
        if (!status.bound()) {
            throw new IllegalArgumentException("the key's own signatures (of its user ids) do not verify: it is "
                    + "damaged, or was altered");
        }
        boolean canSign = ring instanceof PGPSecretKeyRing && canSign(ring, now);
        return new Description(HexFormat.of().withUpperCase().formatHex(primary.getFingerprint()), ids,
                algorithm(primary), primary.getCreationTime().toInstant(), status.expires(), status.revoked(),
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

    /**
     * What {@code key}'s own verified signatures say of it: a primary's certifications of its user ids and direct-key
     * signatures by itself, a subkey's binding by the primary. A signature that does not verify, or that someone else
     * made, says nothing: a subkey appended to a partner's key on its way to the administrator is not bound, and never
     * used. The newest verified signature gives the flags and the expiry.
     */
    private record Status(boolean bound, int flags, Instant expires, boolean revoked) {

        boolean validAt(Instant when) {
            return bound && !revoked && (expires == null || expires.isAfter(when));
        }
    }

    private static Status status(PGPKeyRing ring, PGPPublicKey key) {
        PGPPublicKey primary = ring.getPublicKey();
        PGPSignature newest = null;
        boolean revoked = false;
        if (key.isMasterKey()) {
            for (Iterator<byte[]> ids = key.getRawUserIDs(); ids.hasNext();) {
                byte[] id = ids.next();
                for (Iterator<PGPSignature> it = key.getSignaturesForID(id); it != null && it.hasNext();) {
                    PGPSignature signature = it.next();
                    if (signature.isCertification() && signature.getKeyID() == key.getKeyID()
                            && verifies(signature, key, () -> signature.verifyCertification(id, key))) {
                        newest = newer(newest, signature);
                    }
                }
            }
            for (Iterator<PGPSignature> it = key.getSignaturesOfType(PGPSignature.DIRECT_KEY); it.hasNext();) {
                PGPSignature signature = it.next();
                if (signature.getKeyID() == key.getKeyID()
                        && verifies(signature, key, () -> signature.verifyCertification(key))) {
                    newest = newer(newest, signature);
                }
            }
            for (Iterator<PGPSignature> it = key.getSignaturesOfType(PGPSignature.KEY_REVOCATION); it.hasNext();) {
                PGPSignature signature = it.next();
                revoked |= signature.getKeyID() == key.getKeyID()
                        && verifies(signature, key, () -> signature.verifyCertification(key));
            }
        } else {
            for (Iterator<PGPSignature> it = key.getSignaturesOfType(PGPSignature.SUBKEY_BINDING); it.hasNext();) {
                PGPSignature signature = it.next();
                if (signature.getKeyID() == primary.getKeyID()
                        && verifies(signature, primary, () -> signature.verifyCertification(primary, key))) {
                    newest = newer(newest, signature);
                }
            }
            for (Iterator<PGPSignature> it = key.getSignaturesOfType(PGPSignature.SUBKEY_REVOCATION); it.hasNext();) {
                PGPSignature signature = it.next();
                revoked |= signature.getKeyID() == primary.getKeyID()
                        && verifies(signature, primary, () -> signature.verifyCertification(primary, key));
            }
        }
        if (newest == null) {
            return new Status(false, 0, null, revoked);
        }
        PGPSignatureSubpacketVector hashed = newest.getHashedSubPackets();
        long seconds = hashed == null ? 0 : hashed.getKeyExpirationTime();
        return new Status(true, hashed == null ? 0 : hashed.getKeyFlags(),
                seconds > 0 ? key.getCreationTime().toInstant().plusSeconds(seconds) : null, revoked);
    }

    /** A check that may throw (Bouncy Castle's {@code verifyCertification}). */
    private interface Verification {
        boolean verified() throws PGPException;
    }

    private static boolean verifies(PGPSignature signature, PGPPublicKey signer, Verification check) {
        try {
            signature.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), signer);
            return check.verified();
        } catch (PGPException | RuntimeException e) {
            return false;
        }
    }

    private static PGPSignature newer(PGPSignature known, PGPSignature found) {
        return known == null || found.getCreationTime().after(known.getCreationTime()) ? found : known;
    }

    /** Whether {@code key} of {@code ring} may do what {@code wanted} (key flags) asks at {@code when}. */
    private static boolean usable(PGPKeyRing ring, PGPPublicKey key, int wanted, Instant when) {
        return usable(status(ring, ring.getPublicKey()), ring, key, wanted, when);
    }

    /** {@link #usable} with the primary's status read once for all the keys of a ring (it verifies signatures). */
    private static boolean usable(Status primary, PGPKeyRing ring, PGPPublicKey key, int wanted, Instant when) {
        Status own = key.isMasterKey() ? primary : status(ring, key);
        if (!primary.validAt(when) || !own.validAt(when)) {
            return false;
        }
        if (own.flags() != 0) {
            return (own.flags() & wanted) != 0;
        }
        // no flags said: the algorithm decides (a primary signs, an encryption algorithm encrypts)
        boolean encrypts = key.isEncryptionKey();
        return wanted == KeyFlags.SIGN_DATA ? key.isMasterKey() && signingAlgorithm(key) : encrypts;
    }

    private static boolean signingAlgorithm(PGPPublicKey key) {
        return switch (key.getAlgorithm()) {
            case PublicKeyAlgorithmTags.RSA_ENCRYPT, PublicKeyAlgorithmTags.ELGAMAL_ENCRYPT,
                    PublicKeyAlgorithmTags.ELGAMAL_GENERAL, PublicKeyAlgorithmTags.ECDH, PublicKeyAlgorithmTags.X25519,
                    PublicKeyAlgorithmTags.X448 -> false;
            default -> true;
        };
    }

    private static final int ENCRYPTS = KeyFlags.ENCRYPT_COMMS | KeyFlags.ENCRYPT_STORAGE;

    /** The key of {@code ring} to encrypt to: a valid, bound subkey flagged for encryption first, then the primary. */
    static Optional<PGPPublicKey> encryptionKey(PGPKeyRing ring, Instant now) {
        Status primary = status(ring, ring.getPublicKey());
        PGPPublicKey found = null;
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext();) {
            PGPPublicKey key = it.next();
            if (key.isEncryptionKey() && usable(primary, ring, key, ENCRYPTS, now)
                    && (found == null || found.isMasterKey())) {
                found = key;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether a valid, bound key of {@code ring} may sign. */
    static boolean canSign(PGPKeyRing ring, Instant now) {
        Status primary = status(ring, ring.getPublicKey());
        for (Iterator<PGPPublicKey> it = ring.getPublicKeys(); it.hasNext();) {
            PGPPublicKey key = it.next();
            if (signingAlgorithm(key) && usable(primary, ring, key, KeyFlags.SIGN_DATA, now)) {
                return true;
            }
        }
        return false;
    }

    /** The secret key of {@code ring} to sign with: the primary if it may sign, else a valid signing subkey. */
    static Optional<PGPSecretKey> signingKey(PGPSecretKeyRing ring, Instant now) {
        Status primary = status(ring, ring.getPublicKey());
        PGPSecretKey found = null;
        for (PGPSecretKey key : ring) {
            PGPPublicKey pub = key.getPublicKey();
            if (!key.isPrivateKeyEmpty() && signingAlgorithm(pub) && usable(primary, ring, pub, KeyFlags.SIGN_DATA, now)
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
        PGPPublicKey recipient = encryptionKey(to, now).orElseThrow(() -> new IOException("the key "
                + fingerprint(to) + " has no valid encryption key (expired or revoked): import its renewal"));
        try {
            PGPSignatureGenerator signer = null;
            if (signWith != null) {
                PGPSecretKey key = signingKey(signWith, now).orElseThrow(() -> new IOException("the key "
                        + fingerprint(signWith) + " has no valid signing key (expired or revoked): import its "
                        + "renewal"));
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
     * as a stream. Its end is where the message is judged: a missing or bad signature (when {@code verifyWith} is
     * given), or a failed integrity check, throws {@link PgpRejected} there instead of ending the stream, so whoever
     * stores what it read must not publish it before the end. The file may be at most {@code maxFile} bytes (a
     * compressed message could otherwise expand without end); what comes before and after it, at most
     * {@link #MAX_FRAMING} bytes. A failure to read {@code in} itself is passed on as it is, not as a refusal.
     */
    static InputStream decrypt(InputStream in, List<PGPSecretKeyRing> ours, PGPKeyRing verifyWith, long maxFile,
            Instant now) throws IOException {
        Source source = new Source(in);
        try {
            PGPObjectFactory outer = new JcaPGPObjectFactory(PGPUtil.getDecoderStream(source));
            Object next = nextObject(outer);
            while (next instanceof PGPMarker) {
                next = nextObject(outer);
            }
            if (!(next instanceof PGPEncryptedDataList list)) {
                throw new PgpRejected("not an OpenPGP message encrypted to a key");
            }
            PGPPublicKeyEncryptedData chosen = null;
            PGPPrivateKey key = null;
            List<String> wanted = new ArrayList<>();
            for (PGPEncryptedData candidate : list) {
                if (candidate instanceof PGPPublicKeyEncryptedData encrypted) {
                    if (wanted.size() < 5) {
                        wanted.add(String.format("%016X", encrypted.getKeyID()));
                    }
                    for (PGPSecretKeyRing ring : ours) {
                        PGPSecretKey secret = ring.getSecretKey(encrypted.getKeyID());
                        // only a key bound and flagged to encrypt decrypts: never a signing key
                        if (chosen == null && secret != null && !secret.isPrivateKeyEmpty()
                                && usable(ring, secret.getPublicKey(), ENCRYPTS, now)) {
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
            if (!chosen.isIntegrityProtected() && !chosen.isAEAD()) {
                throw new PgpRejected("the message has no integrity protection (an old format that can be altered "
                        + "unnoticed): refused");
            }
            InputStream clear;
            try {
                clear = chosen.getDataStream(new JcePublicKeyDataDecryptorFactoryBuilder().setProvider(BC)
                        .setContentProvider(CONTENT).build(key));
            } catch (PGPException | RuntimeException e) {
                throw new PgpRejected("the message does not open with Ferry's key"); // one reason for every cause
            }
            Budget budget = new Budget(clear);
            PGPObjectFactory inner = new JcaPGPObjectFactory(budget);
            Object packet = nextObject(inner);
            Budget content = budget;
            if (packet instanceof PGPCompressedData compressed) {
                content = new Budget(compressed.getDataStream());
                inner = new JcaPGPObjectFactory(content);
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
                if (signer == null || !signingAlgorithm(signer) || !usable(verifyWith, signer, KeyFlags.SIGN_DATA,
                        now)) {
                    throw new PgpRejected(String.format("the message is signed by key ID %016X, not by a valid "
                            + "signing key of %s, which the route requires", onePass.getKeyID(),
                            fingerprint(verifyWith)));
                }
                onePass.init(new JcaPGPContentVerifierBuilderProvider().setProvider(BC), signer);
            }
            content.allow(maxFile);
            return new Opened(literal.getInputStream(), clear, content, inner, chosen,
                    signer == null ? null : onePass, now);
        } catch (PGPException | RuntimeException e) {
            throw new PgpRejected("the message does not open: " + e.getMessage());
        } catch (IOException e) {
            throw Source.fault(e);
        }
    }

    private static Object nextObject(PGPObjectFactory objects) throws IOException {
        try {
            return objects.nextObject();
        } catch (IOException | RuntimeException e) {
            throw Source.fault(e);
        }
    }

    /** The hashes a partner's signature may use: SHA-2 and SHA-3 (never MD5 or SHA-1). */
    private static final List<Integer> STRONG_HASHES = List.of(HashAlgorithmTags.SHA224, HashAlgorithmTags.SHA256,
            HashAlgorithmTags.SHA384, HashAlgorithmTags.SHA512, HashAlgorithmTags.SHA3_256, HashAlgorithmTags.SHA3_512);

    /** What may surround the file in a message: its packets' headers, one-pass signatures, the signatures. */
    static final long MAX_FRAMING = 1 << 20;

    /**
     * The message being read: a failure to read it is the storage's (passed on as it is); anything Bouncy Castle
     * makes of what it read is the message's (a refusal).
     */
    private static final class Source extends FilterInputStream {

        /** A failure to read the source itself. */
        private static final class Fault extends IOException {
            private static final long serialVersionUID = 1L;

            Fault(IOException cause) {
                super(cause.getMessage(), cause);
            }
        }

        Source(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                throw new Fault(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                throw new Fault(e);
            }
        }

        /** The storage's own failure as it came, or a refusal of the message. */
        static IOException fault(Throwable e) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof Fault fault) {
                    return (IOException) fault.getCause();
                }
                if (cause instanceof PgpRejected rejected) {
                    return rejected;
                }
            }
            return new PgpRejected("the message is damaged: " + e.getMessage());
        }
    }

    /** A stream that refuses to give more than it is allowed: at first {@link #MAX_FRAMING} bytes. */
    private static final class Budget extends FilterInputStream {

        private long read;
        private long limit = MAX_FRAMING;

        Budget(InputStream in) {
            super(in);
        }

        /** {@code more} bytes more than what was read so far may be read. */
        void allow(long more) {
            limit = read + more;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (read >= limit) {
                throw new PgpRejected("the message holds more than Ferry takes from one of its size (a file over "
                        + "the limit, or too many packets around it): refused");
            }
            int n = super.read(b, off, (int) Math.min(len, limit - read));
            if (n > 0) {
                read += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            return read(new byte[(int) Math.min(n, BUFFER)], 0, (int) Math.min(n, BUFFER));
        }
    }

    static String fingerprint(PGPKeyRing ring) {
        return HexFormat.of().withUpperCase().formatHex(ring.getPublicKey().getFingerprint());
    }

    /** The decrypted file; its end checks the signature (when one is required) and the message's integrity. */
    private static final class Opened extends InputStream {

        private final InputStream data;
        private final InputStream clear;
        private final Budget content;
        private final PGPObjectFactory rest;
        private final PGPPublicKeyEncryptedData message;
        private final PGPOnePassSignature onePass;
        private final Instant now;
        private boolean ended;
        private PgpRejected refused;

        Opened(InputStream data, InputStream clear, Budget content, PGPObjectFactory rest,
                PGPPublicKeyEncryptedData message, PGPOnePassSignature onePass, Instant now) {
            this.data = data;
            this.clear = clear;
            this.content = content;
            this.rest = rest;
            this.message = message;
            this.onePass = onePass;
            this.now = now;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (refused != null) {
                throw refused; // a refusal stays one, however often it is asked
            }
            if (ended) {
                return -1;
            }
            int n;
            try {
                n = data.read(b, off, len);
                if (n > 0 && onePass != null) {
                    onePass.update(b, off, n);
                }
                if (n < 0) {
                    content.allow(MAX_FRAMING);
                    judge();
                    ended = true;
                }
            } catch (IOException | RuntimeException | PGPException e) {
                IOException fault = Source.fault(e);
                if (fault instanceof PgpRejected rejected) {
                    refused = rejected;
                }
                throw fault;
            }
            return n;
        }

        private void judge() throws IOException, PGPException {
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
                if (match == null || match.getSignatureType() != onePass.getSignatureType()
                        || match.getSignatureType() != PGPSignature.BINARY_DOCUMENT
                        && match.getSignatureType() != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
                    throw new PgpRejected("the message's signature is not a signature of its file");
                }
                if (!STRONG_HASHES.contains(match.getHashAlgorithm())) {
                    throw new PgpRejected("the message is signed with a weak hash (algorithm "
                            + match.getHashAlgorithm() + "): refused");
                }
                if (match.getCreationTime().toInstant().isAfter(now.plusSeconds(300))) {
                    throw new PgpRejected("the message's signature is dated in the future");
                }
                if (!onePass.verify(match)) {
                    throw new PgpRejected(String.format("bad signature: the file does not match the signature "
                            + "made with key ID %016X", onePass.getKeyID()));
                }
            }
            byte[] drain = new byte[BUFFER];
            while (clear.read(drain) >= 0) {
                // the integrity packet comes after everything else
            }
            if (!message.isAEAD() && !message.verify()) {
                throw new PgpRejected("the message was altered: its integrity check failed");
            }
        }

        @Override
        public void close() throws IOException {
            try {
                data.close();
            } finally {
                clear.close();
            }
        }
    }
}
