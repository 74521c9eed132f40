package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.commons.net.ftp.FTP;
import org.apache.commons.net.ftp.FTPClient;
import org.apache.commons.net.ftp.FTPFile;
import org.apache.commons.net.ftp.FTPReply;
import org.apache.commons.net.ftp.FTPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.ferry.storage.testing.SmallFileSystem;

import tools.jackson.databind.JsonNode;

/** FTPS (explicit and implicit) with commons-net's FTPSClient and the curl and lftp binaries. */
class FtpsIT extends NodeIT {

    private static final String PASSWORD = "ftps-partner-password";

    @TempDir
    Path local;

    private String partner(String... permissions) {
        String user = uniqueUser("ftps");
        admin().createAccount(user, PASSWORD, permissions);
        return user;
    }

    private FTPSClient connect(boolean implicit) throws IOException {
        FTPSClient client = new FTPSClient(implicit);
        client.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager()); // self-signed, generated on start
        client.setConnectTimeout(20_000);
        client.setDefaultTimeout(20_000);
        client.connect("127.0.0.1", implicit ? ftpsServer.implicitPort() : ftpsServer.explicitPort());
        assertThat(FTPReply.isPositiveCompletion(client.getReplyCode())).as(client.getReplyString()).isTrue();
        return client;
    }

    private FTPSClient login(boolean implicit, String user) throws IOException {
        FTPSClient client = connect(implicit);
        assertThat(client.login(user, PASSWORD)).as(client.getReplyString()).isTrue();
        client.execPBSZ(0);
        client.execPROT("P");
        client.enterLocalPassiveMode();
        client.setFileType(FTP.BINARY_FILE_TYPE);
        return client;
    }

    @Test
    void explicitFtpsShouldDoEveryEverydayOperation() throws Exception {
        String user = partner();
        byte[] data = SftpOperationsIT.random(2_345_678);
        FTPSClient ftp = login(false, user);
        try {
            assertThat(ftp.makeDirectory("inbox")).as(ftp.getReplyString()).isTrue();
            assertThat(ftp.changeWorkingDirectory("inbox")).isTrue();
            assertThat(ftp.storeFile("orders.csv", new ByteArrayInputStream(data))).as(ftp.getReplyString()).isTrue();
            assertThat(ftp.getReplyCode()).isEqualTo(226);

            FTPFile[] listed = ftp.mlistDir();
            assertThat(listed).extracting(FTPFile::getName).containsExactly("orders.csv");
            assertThat(listed[0].getSize()).isEqualTo(data.length);
            assertThat(ftp.listNames()).containsExactly("orders.csv");
            assertThat(ftp.mlistFile("orders.csv").getSize()).isEqualTo(data.length);
            assertThat(ftp.getSize("orders.csv")).isEqualTo(String.valueOf(data.length));
            assertThat(ftp.printWorkingDirectory()).isEqualTo("/inbox");

            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertThat(ftp.retrieveFile("orders.csv", back)).as(ftp.getReplyString()).isTrue();
            assertThat(back.toByteArray()).isEqualTo(data);

            // download resume: REST, then RETR sends the rest
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            ftp.setRestartOffset(1_000_000);
            assertThat(ftp.retrieveFile("orders.csv", tail)).as(ftp.getReplyString()).isTrue();
            assertThat(tail.toByteArray()).isEqualTo(Arrays.copyOfRange(data, 1_000_000, data.length));

            // upload continued with APPE (what curl -C - and lftp's reput send)
            assertThat(ftp.storeFile("part.bin", new ByteArrayInputStream(data, 0, 1_000_000))).isTrue();
            assertThat(ftp.appendFile("part.bin", new ByteArrayInputStream(data, 1_000_000, data.length - 1_000_000)))
                    .as(ftp.getReplyString()).isTrue();
            assertThat(Files.readAllBytes(home(user).resolve("inbox/part.bin"))).isEqualTo(data);

            assertThat(ftp.sendCommand("HASH", "orders.csv")).isEqualTo(213);
            assertThat(ftp.getReplyString()).contains("SHA-256 0-" + (data.length - 1) + " " + sha256(data));
            assertThat(ftp.features()).isTrue();
            assertThat(ftp.getReplyString()).contains("HASH SHA-256").contains("AUTH TLS").contains("MLST");

            assertThat(ftp.rename("orders.csv", "orders-1.csv")).as(ftp.getReplyString()).isTrue();
            assertThat(ftp.deleteFile("part.bin")).isTrue();
            assertThat(ftp.makeDirectory("empty")).isTrue();
            assertThat(ftp.removeDirectory("empty")).isTrue();
            assertThat(ftp.listNames()).containsExactly("orders-1.csv");
            assertThat(ftp.logout()).isTrue();
        } finally {
            ftp.disconnect();
        }
        assertThat(Files.readAllBytes(home(user).resolve("inbox/orders-1.csv"))).isEqualTo(data);

        JsonNode rows = admin().get("/api/v1/transfers?account=" + user).json().get("items");
        JsonNode upload = rows.get(rows.size() - 1);
        assertThat(upload.get("protocol").asString()).isEqualTo("ftps");
        assertThat(upload.get("direction").asString()).isEqualTo("upload");
        assertThat(upload.get("path").asString()).isEqualTo("/inbox/orders.csv");
        assertThat(upload.get("bytes").asLong()).isEqualTo(data.length);
        assertThat(upload.get("sha256").asString()).isEqualTo(sha256(data));
        assertThat(upload.get("tls").asString()).startsWith("TLSv1.");
        assertThat(upload.get("clientAddress").asString()).isEqualTo("127.0.0.1");
    }

    /**
     * Opens a passive data connection the way a client does (TCP, then TLS over it) but keeps the TCP socket, so a
     * test can break it the way a network failure does: a reset, with no TLS close_notify (which a server must take
     * as a clean end of the file).
     */
    private static java.net.Socket[] openBreakableData(FTPSClient ftp, String command, String name) throws Exception {
        assertThat(ftp.pasv()).isEqualTo(227);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\((\\d+),(\\d+),(\\d+),(\\d+),(\\d+),(\\d+)\\)")
                .matcher(ftp.getReplyString());
        assertThat(m.find()).as(ftp.getReplyString()).isTrue();
        int port = Integer.parseInt(m.group(5)) * 256 + Integer.parseInt(m.group(6));
        java.net.Socket plain = new java.net.Socket("127.0.0.1", port);
        assertThat(ftp.sendCommand(command, name)).isEqualTo(150);
        javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
        context.init(null, new javax.net.ssl.TrustManager[] {TrustManagerUtils.getAcceptAllTrustManager()}, null);
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket(plain, "127.0.0.1", port, true);
        tls.setUseClientMode(true);
        tls.startHandshake();
        return new java.net.Socket[] {plain, tls};
    }

    /**
     * Issue 21: REST n + STOR was refused unless n was exactly what the server held, and MDTM could not set a time.
     * Each answer below is what vsftpd 3.0.3 (Debian 12, {@code write_enable}, {@code mdtm_write}) gives to the same
     * commands: REST n + STOR writes at n over the file, keeps what follows, and fills a gap with zeros; APPE appends;
     * SIZE and MDTM answer the file; the two-argument MDTM sets the time. Ferry adds MFMT and MLST (vsftpd has
     * neither), with RFC 3659's facts. A pending upload is answered by SIZE as what the server holds of it, and is
     * not listed (a difference: vsftpd lists the growing file).
     */
    @Test
    void uploadCommandsShouldWriteWhereVsftpdWrites() throws Exception {
        String user = partner();
        FTPSClient ftp = login(false, user);
        try {
            assertThat(ftp.storeFile("a.txt", new ByteArrayInputStream("0123456789".getBytes()))).isTrue();
            ftp.setRestartOffset(3);
            assertThat(ftp.storeFile("a.txt", new ByteArrayInputStream("ab".getBytes()))).as(ftp.getReplyString())
                    .isTrue();
            assertThat(Files.readString(home(user).resolve("a.txt"))).isEqualTo("012ab56789");
            ftp.setRestartOffset(12);
            assertThat(ftp.storeFile("a.txt", new ByteArrayInputStream("zz".getBytes()))).isTrue();
            assertThat(Files.readString(home(user).resolve("a.txt"))).isEqualTo("012ab56789\0\0zz");
            assertThat(ftp.appendFile("a.txt", new ByteArrayInputStream("XY".getBytes()))).isTrue();
            assertThat(Files.readString(home(user).resolve("a.txt"))).isEqualTo("012ab56789\0\0zzXY");
            assertThat(ftp.appendFile("new.txt", new ByteArrayInputStream("new".getBytes()))).isTrue();
            assertThat(Files.readString(home(user).resolve("new.txt"))).isEqualTo("new");

            assertThat(ftp.sendCommand("SIZE", "a.txt")).isEqualTo(213);
            assertThat(ftp.getReplyString().trim()).isEqualTo("213 16");
            assertThat(ftp.sendCommand("SIZE", "missing.txt")).isEqualTo(550);
            assertThat(ftp.makeDirectory("d")).isTrue();
            assertThat(ftp.sendCommand("SIZE", "d")).isEqualTo(550);
            assertThat(ftp.sendCommand("MDTM", "20200102030405 a.txt")).isEqualTo(213);
            assertThat(ftp.getModificationTime("a.txt")).startsWith("20200102030405");
            assertThat(ftp.setModificationTime("a.txt", "20210102030405")).isTrue(); // MFMT
            assertThat(ftp.getModificationTime("a.txt")).startsWith("20210102030405");
            assertThat(Files.getLastModifiedTime(home(user).resolve("a.txt")).toInstant())
                    .isEqualTo(java.time.Instant.parse("2021-01-02T03:04:05Z"));
            FTPFile entry = ftp.mlistFile("a.txt");
            assertThat(entry.getSize()).isEqualTo(16);
            assertThat(entry.getTimestamp().toInstant()).isEqualTo(java.time.Instant.parse("2021-01-02T03:04:05Z"));
            assertThat(ftp.mlistDir()).extracting(FTPFile::getName).contains("a.txt", "new.txt", "d");
            // RFC 3659: a directory that does not exist is 550, before any data connection (rclone reads it so)
            assertThat(ftp.mlistDir("missing-dir")).isEmpty();
            assertThat(ftp.getReplyCode()).isEqualTo(550);
            assertThat(ftp.getReplyString()).contains("no such directory").doesNotContain("150");

            // during an upload: SIZE and MDTM answer what the server holds of it; it is not listed yet
            java.net.Socket[] data = openBreakableData(ftp, "STOR", "growing.bin");
            data[1].getOutputStream().write(SftpOperationsIT.random(600_000));
            data[1].getOutputStream().flush();
            FTPSClient watcher = login(false, user);
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                    String size = watcher.getSize("growing.bin");
                    return size != null && Long.parseLong(size) >= 262_144;
                });
                assertThat(watcher.getModificationTime("growing.bin")).isNotNull();
                assertThat(watcher.listNames()).doesNotContain("growing.bin");
                data[1].close();
                assertThat(ftp.getReply()).isEqualTo(226);
                assertThat(watcher.getSize("growing.bin")).isEqualTo("600000");
                assertThat(watcher.listNames()).contains("growing.bin");
            } finally {
                watcher.disconnect();
            }
        } finally {
            ftp.disconnect();
        }
    }

    /** Issue 21: lftp's mirror, rclone and curl over FTPS, each both ways, keep content and times. */
    @Test
    void stockClientsShouldMirrorCopyAppendAndResumeKeepingTimes() throws Exception {
        String user = partner();
        StockClients.check("ftps", ftpsServer.explicitPort(), user, PASSWORD, "stock");
    }

    @Test
    void brokenUploadShouldStayInvisibleAndResumeWithRestAndStor() throws Exception {
        String user = partner();
        byte[] content = SftpOperationsIT.random(1_500_000);
        FTPSClient ftp = new FTPSClient(false);
        ftp.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        ftp.setDefaultTimeout(20_000);
        ftp.connect("127.0.0.1", ftpsServer.explicitPort());
        try {
            assertThat(ftp.login(user, PASSWORD)).isTrue();
            ftp.execPBSZ(0);
            ftp.execPROT("P");
            ftp.enterLocalPassiveMode();
            ftp.setFileType(FTP.BINARY_FILE_TYPE);
            java.net.Socket[] data = openBreakableData(ftp, "STOR", "resume.bin");
            data[1].getOutputStream().write(content, 0, 600_000);
            data[1].getOutputStream().flush();
            // the server has some of it (a second session sees the pending upload grow) before the network fails
            FTPSClient watcher = login(false, user);
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() -> {
                    String size = watcher.getSize("resume.bin");
                    return size != null && Long.parseLong(size) > 0;
                });
            } finally {
                watcher.disconnect();
            }
            data[0].setSoLinger(true, 0); // as when the partner's network fails: a TCP reset, no TLS close_notify
            data[0].close();
            assertThat(ftp.getReply()).isEqualTo(426);
            assertThat(ftp.listNames()).doesNotContain("resume.bin");
            assertThat(Files.exists(home(user).resolve("resume.bin"))).isFalse();

            long have = Long.parseLong(ftp.getSize("resume.bin"));
            assertThat(have).isBetween(1L, 600_000L);
            ftp.setRestartOffset(have);
            assertThat(ftp.storeFile("resume.bin", new ByteArrayInputStream(content, (int) have, content.length - (int) have)))
                    .as(ftp.getReplyString()).isTrue();
        } finally {
            ftp.disconnect();
        }
        assertThat(Files.readAllBytes(home(user).resolve("resume.bin"))).isEqualTo(content);
        JsonNode rows = admin().get("/api/v1/transfers?account=" + user).json().get("items");
        assertThat(rows.get(1).get("status").asString()).isEqualTo("failed");
        assertThat(rows.get(1).get("error").asString()).contains("data connection lost");
        assertThat(rows.get(0).get("status").asString()).isEqualTo("success");
        assertThat(rows.get(0).get("startOffset").asLong()).isPositive();
    }

    @Test
    void activeModeShouldBeOffByDefault() throws Exception {
        String user = partner();
        FTPSClient ftp = login(false, user);
        try {
            assertThat(FTPReply.isPositiveCompletion(ftp.sendCommand("PORT", "127,0,0,1,200,10"))).isFalse();
            assertThat(FTPReply.isPositiveCompletion(ftp.sendCommand("EPRT", "|1|10.1.2.3|2000|"))).isFalse();
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void implicitFtpsShouldUploadAndDownload() throws Exception {
        String user = partner();
        byte[] data = SftpOperationsIT.random(300_000);
        FTPSClient ftp = login(true, user);
        try {
            assertThat(ftp.storeFile("implicit.bin", new ByteArrayInputStream(data))).as(ftp.getReplyString()).isTrue();
            ByteArrayOutputStream back = new ByteArrayOutputStream();
            assertThat(ftp.retrieveFile("implicit.bin", back)).isTrue();
            assertThat(back.toByteArray()).isEqualTo(data);
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void loginBeforeAuthTlsShouldBeRefused() throws Exception {
        String user = partner();
        FTPClient plain = new FTPClient();
        plain.setDefaultTimeout(20_000);
        plain.connect("127.0.0.1", ftpsServer.explicitPort());
        try {
            assertThat(plain.login(user, PASSWORD)).isFalse();
            assertThat(plain.getReplyCode()).isEqualTo(530);
            assertThat(plain.getReplyString()).contains("AUTH TLS");
        } finally {
            plain.disconnect();
        }
    }

    @Test
    void dataConnectionWithoutProtPShouldBeRefused() throws Exception {
        String user = partner();
        FTPSClient ftp = connect(false);
        try {
            assertThat(ftp.login(user, PASSWORD)).isTrue();
            ftp.enterLocalPassiveMode();
            assertThat(ftp.storeFile("clear.txt", new ByteArrayInputStream(new byte[] {1, 2, 3}))).isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(521);
            assertThat(Files.exists(home(user).resolve("clear.txt"))).isFalse();
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void wrongPasswordShouldBeRefused() throws Exception {
        String user = partner();
        FTPSClient ftp = connect(false);
        try {
            assertThat(ftp.login(user, "not-the-password")).isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(530);
            assertThat(ftp.login("nobody-" + user, PASSWORD)).isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(530);
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void pathsShouldStayInTheHomeAndReservedNamesBeRefused() throws Exception {
        String user = partner();
        FTPSClient ftp = login(false, user);
        try {
            // ".." above the home clamps at the home, as for SFTP
            assertThat(ftp.storeFile("../../../escape.txt", new ByteArrayInputStream(new byte[] {42}))).isTrue();
            assertThat(Files.exists(home(user).resolve("escape.txt"))).isTrue();
            assertThat(ftp.changeWorkingDirectory("/../..")).isTrue();
            assertThat(ftp.printWorkingDirectory()).isEqualTo("/");
            assertThat(ftp.storeFile(".ferry-part-x", new ByteArrayInputStream(new byte[] {1}))).isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(550);
        } finally {
            ftp.disconnect();
        }
    }

    @Test
    void permissionsAndQuotaShouldBeEnforcedWithClearReplies() throws Exception {
        String reader = partner("list", "read");
        FTPSClient ftp = login(false, reader);
        try {
            assertThat(ftp.storeFile("x.txt", new ByteArrayInputStream(new byte[] {1}))).isFalse();
            assertThat(ftp.getReplyCode()).isEqualTo(550);
            assertThat(ftp.getReplyString()).contains("permission denied");
            assertThat(ftp.makeDirectory("d")).isFalse();
        } finally {
            ftp.disconnect();
        }

        String small = partner();
        assertThat(admin().patch("/api/v1/accounts/" + small, "{\"quotaBytes\":100000}").status()).isEqualTo(200);
        FTPSClient full = login(false, small);
        try {
            assertThat(store(full, "big.bin", new ByteArrayInputStream(SftpOperationsIT.random(500_000)))).isFalse();
            assertThat(full.getReplyCode()).isEqualTo(552);
            assertThat(full.listNames()).isEmpty();
        } finally {
            full.disconnect();
        }
    }

    @Test
    void uploadThatRunsOutOfSpaceShouldNeverBePublishedAndResumeOnceThereIsRoom() throws Exception {
        String user = partner();
        byte[] content = SftpOperationsIT.random(3_000_000);
        try (SmallFileSystem disk = SmallFileSystem.mount(home(user), 1 << 20)) {
            FTPSClient ftp = login(false, user);
            try {
                assertThat(store(ftp, "full.bin", new ByteArrayInputStream(content))).isFalse();
                assertThat(ftp.getReplyCode()).isEqualTo(552);
                assertThat(ftp.getReplyString()).contains("No space left on the storage");
                assertThat(ftp.listNames()).doesNotContain("full.bin");
                assertThat(home(user).resolve("full.bin")).doesNotExist();

                disk.resize(16 << 20);
                long have = Long.parseLong(ftp.getSize("full.bin"));
                assertThat(have).isPositive().isLessThan(content.length);
                ftp.setRestartOffset(have);
                assertThat(ftp.storeFile("full.bin", new ByteArrayInputStream(content, (int) have,
                        content.length - (int) have))).as(ftp.getReplyString()).isTrue();
            } finally {
                ftp.disconnect();
            }
            assertThat(SftpOperationsIT.sha256(Files.readAllBytes(home(user).resolve("full.bin"))))
                    .isEqualTo(SftpOperationsIT.sha256(content));
        }
        JsonNode rows = admin().get("/api/v1/transfers?account=" + user).json().get("items");
        assertThat(rows.get(1).get("status").asString()).isEqualTo("failed");
        assertThat(rows.get(1).get("error").asString()).contains("no space left on the storage");
        assertThat(rows.get(0).get("status").asString()).isEqualTo("success");
    }

    /**
     * STOR that the server may refuse mid-way: when it closes the data connection while the client still sends (a
     * broken pipe once the socket buffers are full), its reply waits on the control connection.
     */
    private static boolean store(FTPSClient ftp, String name, java.io.InputStream content) throws IOException {
        try {
            return ftp.storeFile(name, content);
        } catch (org.apache.commons.net.io.CopyStreamException e) {
            ftp.getReply();
            return false;
        }
    }

    @Test
    void uploadOverFtpsShouldDownloadOverSftpWithTheSameChecksum() throws Exception {
        String user = partner();
        byte[] data = SftpOperationsIT.random(777_777);
        FTPSClient ftp = login(false, user);
        try {
            assertThat(ftp.storeFile("cross.bin", new ByteArrayInputStream(data))).isTrue();
        } finally {
            ftp.disconnect();
        }
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThat(sftp.read("/cross.bin").readAllBytes()).isEqualTo(data);
        }
        JsonNode rows = admin().get("/api/v1/transfers?account=" + user).json().get("items");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("protocol").asString()).isEqualTo("sftp");
        assertThat(rows.get(0).get("direction").asString()).isEqualTo("download");
        assertThat(rows.get(1).get("protocol").asString()).isEqualTo("ftps");
        assertThat(rows.get(1).get("direction").asString()).isEqualTo("upload");
        assertThat(rows.get(0).get("sha256").asString()).isEqualTo(rows.get(1).get("sha256").asString())
                .isEqualTo(sha256(data));
    }

    @Test
    void curlShouldUploadAndDownloadOverExplicitAndImplicitFtps() throws Exception {
        String user = partner();
        byte[] data = SftpOperationsIT.random(1_234_567);
        Path file = Files.write(local.resolve("curl.bin"), data);
        String auth = user + ":" + PASSWORD;

        run("curl", "-sS", "--fail", "--ssl-reqd", "-k", "--ftp-create-dirs", "-u", auth, "-T", file.toString(),
                "ftp://127.0.0.1:" + ftpsServer.explicitPort() + "/curl/curl.bin");
        assertThat(Files.readAllBytes(home(user).resolve("curl/curl.bin"))).isEqualTo(data);

        Path back = local.resolve("back.bin");
        run("curl", "-sS", "--fail", "-k", "-u", auth, "-o", back.toString(),
                "ftps://127.0.0.1:" + ftpsServer.implicitPort() + "/curl/curl.bin");
        assertThat(Files.readAllBytes(back)).isEqualTo(data);

        // resume a download that stopped half-way: curl asks for the rest with REST
        Path half = Files.write(local.resolve("half.bin"), Arrays.copyOf(data, 600_000));
        run("curl", "-sS", "--fail", "--ssl-reqd", "-k", "-u", auth, "-C", "-", "-o", half.toString(),
                "ftp://127.0.0.1:" + ftpsServer.explicitPort() + "/curl/curl.bin");
        assertThat(Files.readAllBytes(half)).isEqualTo(data);
    }

    @Test
    void lftpShouldTransferListAndResume() throws Exception {
        String user = partner();
        byte[] data = SftpOperationsIT.random(654_321);
        Files.write(local.resolve("lftp.bin"), data);
        String script = String.join("; ",
                "set ssl:verify-certificate no", "set ftp:ssl-force true", "set ftp:ssl-protect-data true",
                "set net:max-retries 1", "set net:timeout 20",
                "open -u " + user + "," + PASSWORD + " -p " + ftpsServer.explicitPort() + " ftp://127.0.0.1",
                "mkdir out", "put " + local.resolve("lftp.bin") + " -o out/lftp.bin",
                "cls -l out", "get out/lftp.bin -o " + local.resolve("lftp-back.bin"), "bye");
        String output = run("lftp", "-c", script);
        assertThat(output).contains("lftp.bin");
        assertThat(Files.readAllBytes(local.resolve("lftp-back.bin"))).isEqualTo(data);
        assertThat(Files.readAllBytes(home(user).resolve("out/lftp.bin"))).isEqualTo(data);
    }

    private String run(String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of(command));
        if (command[0].equals("curl")) {
            args.add(1, "-v"); // a failure's message then shows which connection broke, and where
        }
        Path out = Files.createTempFile(local, "out", ".txt");
        Process process = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(command[0] + " did not finish: " + Files.readString(out));
        }
        String output = Files.readString(out);
        assertThat(process.exitValue()).as(command[0] + " output: " + output).isZero();
        return output;
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
