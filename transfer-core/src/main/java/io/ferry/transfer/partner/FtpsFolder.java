package io.ferry.transfer.partner;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import javax.net.ssl.X509TrustManager;

import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPFile;
import org.apache.commons.net.ftp.FTPReply;
import org.apache.commons.net.ftp.FTPSClient;

/**
 * A partner's folder over FTPS (Apache Commons Net): explicit ({@code AUTH TLS}) or implicit TLS, the control and
 * data connections protected ({@code PBSZ 0}, {@code PROT P}), passive mode, binary. The server's certificate is
 * checked by the trust manager it is given (a pin, the administrator's CAs, or the JVM's CAs with the host name
 * checked). TLS 1.2: an uploading client never reads the session tickets a TLS 1.3 server sends after the data
 * connection's handshake, and closing a socket with unread data resets it, which a server may take for a broken
 * upload.
 */
final class FtpsFolder implements RemoteFolder {

    private final FTPSClient ftp;
    private final String dir;

    private FtpsFolder(FTPSClient ftp, String remoteDir) {
        this.ftp = ftp;
        this.dir = remoteDir.endsWith("/") ? remoteDir : remoteDir + "/";
    }

    /**
     * Connects and logs in.
     *
     * @param checkHostName whether the certificate must name the host (not when it is pinned)
     */
    static FtpsFolder connect(Partner partner, String password, X509TrustManager trust, boolean checkHostName)
            throws IOException {
        FTPSClient ftp = new FTPSClient("TLSv1.2", "implicit".equals(partner.ftpsMode()));
        ftp.setTrustManager(trust);
        ftp.setEnabledProtocols(new String[] {"TLSv1.2"});
        ftp.setEndpointCheckingEnabled(checkHostName);
        Duration connect = Duration.ofSeconds(partner.connectTimeoutSeconds());
        Duration transfer = Duration.ofSeconds(partner.transferTimeoutSeconds());
        ftp.setConnectTimeout((int) connect.toMillis());
        ftp.setDefaultTimeout((int) connect.toMillis());
        ftp.setDataTimeout(transfer);
        ftp.setBufferSize(256 * 1024);
        boolean ready = false;
        try {
            ftp.connect(partner.host(), partner.port());
            if (!FTPReply.isPositiveCompletion(ftp.getReplyCode())) {
                throw new IOException("the server refused the connection: " + reply(ftp));
            }
            ftp.setSoTimeout((int) transfer.toMillis());
            if (!ftp.login(partner.username(), password == null ? "" : password)) {
                throw new IOException("login refused: " + reply(ftp));
            }
            ftp.execPBSZ(0);
            ftp.execPROT("P");
            if (!ftp.setFileType(FTP.BINARY_FILE_TYPE)) {
                throw new IOException("binary mode refused: " + reply(ftp));
            }
            ftp.enterLocalPassiveMode();
            ready = true;
            return new FtpsFolder(ftp, partner.remoteDir());
        } finally {
            if (!ready && ftp.isConnected()) {
                ftp.disconnect();
            }
        }
    }

    /**
     * Checks the certificate the server presents and records its fingerprint in {@code presented[0]}: against the
     * pin when there is one, otherwise with {@code trusted} (the administrator's CAs or the JVM's).
     */
    static X509TrustManager trust(String pin, X509TrustManager trusted, String[] presented) {
        return new X509TrustManager() {
            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                if (chain == null || chain.length == 0) {
                    throw new CertificateException("the server presented no certificate");
                }
                presented[0] = fingerprint(chain[0]);
                if (pin != null) {
                    if (!pin.equals(presented[0])) {
                        throw new CertificateException("certificate mismatch: the server presented " + presented[0]
                                + ", the partner is pinned to " + pin);
                    }
                    return;
                }
                trusted.checkServerTrusted(chain, authType);
            }

            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("a client trust manager only");
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return pin != null ? new X509Certificate[0] : trusted.getAcceptedIssuers();
            }
        };
    }

    /** SHA-256 of the certificate, colon-separated upper-case hex (as {@code openssl x509 -fingerprint} prints). */
    static String fingerprint(X509Certificate certificate) throws CertificateException {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new CertificateException(e);
        }
    }

    @Override
    public List<PartnerService.RemoteFile> list() throws IOException {
        List<PartnerService.RemoteFile> files = new ArrayList<>();
        boolean mlsd = ftp.hasFeature("MLST");
        FTPFile[] entries = mlsd ? ftp.mlistDir(dir) : ftp.listFiles(dir);
        if (entries == null) {
            throw new IOException("cannot list " + dir + ": " + reply(ftp));
        }
        for (FTPFile entry : entries) {
            if (entry != null && entry.isFile()) {
                files.add(new PartnerService.RemoteFile(dir + entry.getName(), entry.getName(), entry.getSize(),
                        entry.getTimestamp() == null ? 0 : entry.getTimestamp().getTimeInMillis()));
            }
        }
        return files;
    }

    /** Every entry's name, folders too (for the connection check). */
    List<String> names() throws IOException {
        String[] names = ftp.listNames(dir);
        if (names == null) {
            throw new IOException("cannot list " + dir + ": " + reply(ftp));
        }
        List<String> found = new ArrayList<>();
        for (String name : names) {
            String leaf = name.substring(name.lastIndexOf('/') + 1);
            if (!leaf.equals(".") && !leaf.equals("..")) {
                found.add(leaf);
            }
        }
        return found;
    }

    @Override
    public long size(String name) throws IOException {
        int code = ftp.sendCommand("SIZE", dir + name);
        if (code == FTPReply.FILE_STATUS) {
            String[] parts = ftp.getReplyString().trim().split("\\s+");
            return Long.parseLong(parts[parts.length - 1]);
        }
        if (code == FTPReply.FILE_UNAVAILABLE || code == FTPReply.ACTION_ABORTED
                || code == FTPReply.UNRECOGNIZED_COMMAND || code == FTPReply.COMMAND_NOT_IMPLEMENTED) {
            return -1; // none, or a server without SIZE: the file is sent
        }
        throw new IOException("SIZE " + name + ": " + reply(ftp));
    }

    @Override
    public OutputStream write(String name) throws IOException {
        OutputStream out = ftp.storeFileStream(dir + name);
        if (out == null) {
            throw new IOException("upload of " + name + " refused: " + reply(ftp));
        }
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                super.close();
                completed("upload", name);
            }
        };
    }

    @Override
    public InputStream read(String name) throws IOException {
        InputStream in = ftp.retrieveFileStream(dir + name);
        if (in == null) {
            throw new IOException("download of " + name + " refused: " + reply(ftp));
        }
        return new FilterInputStream(in) {
            @Override
            public void close() throws IOException {
                super.close();
                completed("download", name);
            }
        };
    }

    /** After a transfer's data connection closed: the server's final reply must say it worked. */
    private void completed(String transfer, String name) throws IOException {
        if (!ftp.completePendingCommand()) {
            throw new IOException(transfer + " of " + name + " failed: " + reply(ftp));
        }
    }

    @Override
    public boolean remove(String name) throws IOException {
        if (ftp.deleteFile(dir + name)) {
            return true;
        }
        String refusal = reply(ftp);
        // 550 says "no such file" and "not allowed" alike: only a file that is really gone counts as removed
        if (ftp.getReplyCode() == FTPReply.FILE_UNAVAILABLE && size(name) < 0) {
            return false;
        }
        throw new IOException("cannot remove " + name + ": " + refusal);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        if (!ftp.rename(dir + from, dir + to)) {
            throw new IOException("cannot rename " + from + " to " + to + ": " + reply(ftp));
        }
    }

    /**
     * RNFR and RNTO over the file there: FTP cannot ask a server whether it replaces, so it is tried; a server whose
     * RNTO renames with rename(2) replaces the file in one step. A permanent refusal of RNTO while both names exist
     * is taken as a server that does not replace; any other failure is thrown.
     */
    @Override
    public String renameReplacing(String from, String to) throws IOException {
        if (!FTPReply.isPositiveIntermediate(ftp.rnfr(dir + from))) {
            throw new IOException("cannot rename " + from + ": " + reply(ftp));
        }
        int code = ftp.rnto(dir + to);
        if (FTPReply.isPositiveCompletion(code)) {
            return "RNFR/RNTO over the file there";
        }
        String refusal = reply(ftp);
        if (FTPReply.isNegativePermanent(code) && size(to) >= 0 && size(from) >= 0) {
            return null;
        }
        throw new IOException("cannot rename " + from + " to " + to + ": " + refusal);
    }

    @Override
    public boolean isOpen() {
        return ftp.isConnected();
    }

    @Override
    public void close() throws IOException {
        try {
            if (ftp.isConnected()) {
                ftp.logout();
            }
        } catch (IOException ignored) {
            // closing anyway
        } finally {
            if (ftp.isConnected()) {
                ftp.disconnect();
            }
        }
    }

    private static String reply(FTPSClient ftp) {
        String reply = ftp.getReplyString();
        return reply == null ? "no reply" : reply.trim();
    }
}
