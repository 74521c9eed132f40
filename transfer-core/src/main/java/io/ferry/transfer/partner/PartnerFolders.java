package io.ferry.transfer.partner;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Semaphore;

import javax.net.ssl.X509TrustManager;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.transfer.log.TransferTracker;
import io.ferry.transfer.partner.PartnerService.Check;
import io.ferry.transfer.partner.PartnerService.PartnerSecrets;
import io.ferry.transfer.partner.PartnerService.PullHandler;
import io.ferry.transfer.partner.PartnerService.PullResult;
import io.ferry.transfer.partner.PartnerService.RemoteFile;

/**
 * The work in a partner's remote folder, for {@link PartnerService}: a connection check, a delivery, a pull. Each
 * runs over one of the partner's {@code maxParallel} transfers, on a connection from the {@link PartnerConnections}
 * pool or a new one: SFTP with the server's host key pinned, or FTPS with its certificate pinned or trusted.
 */
final class PartnerFolders {

    @FunctionalInterface
    private interface FolderWork<T> {
        T run(RemoteFolder folder) throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(PartnerFolders.class);

    private final PartnerService partners;
    private final PartnerConnections connections = new PartnerConnections();

    /** @param partners lists the partners (for the pool's eviction) and opens their sealed secrets */
    PartnerFolders(PartnerService partners) {
        this.partners = partners;
    }

    /** {@link PartnerService#check}: connects, logs in and lists the remote folder (at most 100 names). */
    Check check(Partner partner) {
        String[] presented = new String[1];
        try (RemoteFolder folder = connect(partner, presented)) {
            List<String> entries = new ArrayList<>(folder instanceof SftpFolder sftp ? sftp.names()
                    : ((FtpsFolder) folder).names());
            entries.sort(null);
            return check(partner, true, presented[0], null, entries.subList(0, Math.min(100, entries.size())));
        } catch (Exception e) {
            return check(partner, false, presented[0], describe(partner, presented[0], e), List.of());
        }
    }

    private static Check check(Partner partner, boolean ok, String presented, String error, List<String> entries) {
        boolean ftps = partner.protocol().equals("ftps");
        return new Check(ok, ftps ? null : presented, ftps ? presented : null, error, entries);
    }

    /** {@link PartnerService#deliver}: the file sent once, under a temporary name, then renamed. */
    long deliver(Partner partner, SeekableByteChannel source, String remoteName, String attempt, boolean rerun,
            TransferTracker tracker) throws IOException {
        return withConnection(partner, folder -> {
            source.position(0);
            return send(partner, folder, source, remoteName, attempt, rerun, tracker);
        });
    }

    /** {@link PartnerService#pull}: the matching plain, unhidden files fetched in name order. */
    PullResult pull(Partner partner, String glob, boolean removeRemote, PullHandler handler) throws IOException {
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        return withConnection(partner, folder -> {
            List<RemoteFile> files = new ArrayList<>();
            for (RemoteFile file : folder.list()) {
                if (plainName(file.name()) && !file.name().startsWith(".")
                        && matcher.matches(Path.of(file.name()))) {
                    files.add(file);
                }
            }
            files.sort(Comparator.comparing(RemoteFile::name));
            int fetched = 0;
            int before = 0;
            int removed = 0;
            IOException failed = null;
            for (RemoteFile file : files) {
                try {
                    if (handler.alreadyFetched(file)) {
                        before++;
                    } else {
                        try (InputStream in = folder.read(file.name())) {
                            handler.fetch(file, in);
                        }
                        fetched++;
                    }
                    // removed only as it was fetched: a file the partner replaced meanwhile stays for the next pull
                    if (removeRemote && folder.size(file.name()) == file.size() && folder.remove(file.name())) {
                        removed++;
                    }
                } catch (IOException e) {
                    if (!folder.isOpen()) {
                        throw e; // the connection broke: the attempt ends here
                    }
                    // one file that cannot be taken (a name too long, a full quota) does not hold back the others
                    failed = failed == null ? new IOException(file.name() + ": " + e.getMessage(), e) : failed;
                }
            }
            if (failed != null) {
                throw failed; // the attempt fails and is retried; what it fetched is recorded and not fetched again
            }
            return new PullResult(fetched, before, removed);
        });
    }

    /** A name a server listed that is one file name: never a path (a hostile server's "../x" or "a/b"). */
    private static boolean plainName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }

    /**
     * Runs {@code work} on a pooled or new connection (a pooled one the server closed meanwhile is replaced once),
     * once one of the partner's {@code maxParallel} transfers is free; the connection goes back to the pool only when
     * the work succeeded.
     */
    private <T> T withConnection(Partner partner, FolderWork<T> work) throws IOException {
        Semaphore permits = connections.permits(partner);
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a free transfer to " + partner.name());
        }
        try {
            return connected(partner, work);
        } finally {
            permits.release();
        }
    }

    private <T> T connected(Partner partner, FolderWork<T> work) throws IOException {
        String[] presented = new String[1];
        for (int attempt = 0;; attempt++) {
            RemoteFolder connection = null;
            boolean reused = false;
            try {
                connections.evict(partners::list);
                connection = connections.borrow(partner);
                reused = connection != null;
                if (connection == null) {
                    connection = connect(partner, presented);
                }
                T result = work.run(connection);
                connections.giveBack(partner, connection);
                return result;
            } catch (Exception e) {
                PartnerConnections.closeQuietly(connection);
                if (reused && attempt == 0) {
                    continue; // an idle connection the server closed meanwhile: once more on a new one
                }
                throw new IOException(describe(partner, presented[0], e), e);
            }
        }
    }

    /** The file under a temporary name, then renamed; nothing when it is already there with the same size. */
    private static long send(Partner partner, RemoteFolder folder, SeekableByteChannel source, String remoteName,
            String attempt, boolean rerun, TransferTracker tracker) throws IOException {
        String temporary = "." + remoteName + "." + attempt + ".ferry-part";
        long existing = folder.size(remoteName);
        if (rerun && existing == source.size()) {
            // already delivered; a second run of this item may have started its temporary copy meanwhile: nothing
            // half-sent stays behind
            folder.remove(temporary);
            return 0;
        }
        long sent = 0;
        try (OutputStream out = folder.write(temporary)) {
            ByteBuffer buffer = ByteBuffer.allocate(256 * 1024);
            for (int n = source.read(buffer); n >= 0; n = source.read(buffer)) {
                buffer.flip();
                out.write(buffer.array(), 0, buffer.limit());
                tracker.moved(sent, buffer);
                sent += buffer.limit();
                buffer.clear();
            }
        }
        place(partner.name(), folder, temporary, remoteName, existing >= 0);
        return sent;
    }

    /**
     * Puts the sent file under its final name. Where the server renames over a file in one step, that is used, so
     * the partner's system never finds the name missing while a file of it (there before, or arrived meanwhile) is
     * replaced; otherwise such a file is removed first and the name is missing until the rename. The log says which
     * was used for a file that replaced another.
     */
    static void place(String partner, RemoteFolder folder, String temporary, String remoteName, boolean existed)
            throws IOException {
        String how = folder.renameReplacing(temporary, remoteName);
        if (how != null) {
            if (existed) {
                log.info("Replaced {} at {} in one step ({})", LogText.quoted(remoteName), LogText.quoted(partner),
                        how);
            }
            return;
        }
        if (folder.size(remoteName) < 0) {
            folder.rename(temporary, remoteName); // nothing to replace
            return;
        }
        log.info("Replacing {} at {} by removing it, then renaming: the server has no rename that replaces a file",
                LogText.quoted(remoteName), LogText.quoted(partner));
        folder.remove(remoteName);
        try {
            folder.rename(temporary, remoteName);
        } catch (IOException e) {
            throw new IOException("removed the partner's earlier " + remoteName + ", then the rename failed (the new "
                    + "one stays as " + temporary + "): " + e.getMessage(), e);
        }
    }

    /** An authenticated connection to the partner's folder: SFTP with the pinned host key, or FTPS. */
    private RemoteFolder connect(Partner partner, String[] presented) throws Exception {
        PartnerSecrets secrets = partners.openSecrets(partner.name());
        if (partner.protocol().equals("ftps")) {
            X509TrustManager trust = FtpsFolder.trust(partner.certificateFingerprint(),
                    Certificates.trustManager(secrets.trustedCertificates()), presented);
            return FtpsFolder.connect(partner, secrets.password(), trust,
                    partner.certificateFingerprint() == null);
        }
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier((session, address, key) -> {
            presented[0] = KeyUtils.getFingerPrint(key);
            return partner.hostKey().equals(presented[0]);
        });
        client.start();
        Duration timeout = Duration.ofSeconds(partner.connectTimeoutSeconds());
        ClientSession session = null;
        try {
            session = client.connect(partner.username(), partner.host(), partner.port()).verify(timeout).getSession();
            String password = secrets.password();
            if (password != null) {
                session.addPasswordIdentity(password);
            }
            String privateKey = secrets.privateKey();
            if (privateKey != null) {
                for (KeyPair pair : keys(privateKey)) {
                    session.addPublicKeyIdentity(pair);
                }
            }
            session.auth().verify(timeout);
            return new SftpFolder(client, session, SftpClientFactory.instance().createSftpClient(session),
                    partner.remoteDir());
        } catch (Exception e) {
            if (session != null) {
                session.close(true);
            }
            client.stop();
            throw e;
        }
    }

    private static String describe(Partner partner, String presented, Exception e) {
        if (partner.protocol().equals("ftps")) {
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof CertificateException) {
                    return "certificate refused: " + cause.getMessage() + " (nothing was sent)";
                }
            }
        } else if (presented != null && !partner.hostKey().equals(presented)) {
            return "host key mismatch: the server presented " + presented + ", the partner is pinned to "
                    + partner.hostKey() + " (nothing was sent)";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * The key pairs of an OpenSSH or PEM private key (unencrypted); refused when it holds none or cannot be read.
     * {@link PartnerService} checks an administrator's key with it too.
     */
    static Iterable<KeyPair> keys(String privateKey) {
        try {
            Iterable<KeyPair> keys = SecurityUtils.loadKeyPairIdentities(null, () -> "partner private key",
                    new ByteArrayInputStream(privateKey.getBytes(StandardCharsets.UTF_8)), null);
            if (keys == null || !keys.iterator().hasNext()) {
                throw new IllegalArgumentException("privateKey holds no key");
            }
            return keys;
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("privateKey cannot be read (OpenSSH or PEM, unencrypted): "
                    + e.getMessage());
        }
    }
}
