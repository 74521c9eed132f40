package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.BufferUtils;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.DirEntry;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.extensions.CheckFileNameExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHLimitsExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHLimitsExtensionInfo;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

/** Every SFTP operation of a partner, with Apache MINA's SSH client against the running node. */
class SftpOperationsIT extends NodeIT {

    private static final String PASSWORD = "partner-password";

    /**
     * Issue 21: OpenSSH's sftp sizes its requests and open handles by {@code limits@openssh.com}, which MINA answers
     * but did not offer. It is offered, and says the session's real limits.
     */
    @Test
    void limitsShouldBeOfferedWithTheSessionsRealLimits() throws Exception {
        String user = uniqueUser("limits");
        admin().createAccount(user, PASSWORD);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            OpenSSHLimitsExtension limits = sftp.getExtension(OpenSSHLimitsExtension.class);
            assertThat(limits.isSupported()).isTrue();
            OpenSSHLimitsExtensionInfo info = limits.limits();
            assertThat(info.maxOpenHandles).isEqualTo(256);
            assertThat(info.maxReadLength).isPositive();
            assertThat(info.maxWriteLength).isPositive();
        }
    }

    /**
     * Issue 21: an upload's handle answered "no such file" to FSTAT, an appended file's handle gave the old size, times
     * set on a handle before close failed (lftp mirror, put -p), and RMDIR of a missing directory was "not a
     * directory"; writes out of order, reads on a read-write handle and truncation were refused. paramiko drives
     * each as client libraries do.
     */
    @Test
    void handlesShouldBehaveAsOpenSshsToAClientLibrary() throws Exception {
        String user = uniqueUser("handles");
        admin().createAccount(user, "handles-password-1");
        SftpHandles.check(path -> admin().get(path).json(), sftpPort(), user, "handles-password-1", "handles");
    }

    /** Issue 21: lftp's mirror, rclone and curl, each both ways, keep content and times ({@link StockClients}). */
    @Test
    void stockClientsShouldMirrorCopyAppendAndResumeKeepingTimes() throws Exception {
        String user = uniqueUser("stock");
        admin().createAccount(user, "stock-password-1");
        StockClients.check("sftp", sftpPort(), user, "stock-password-1", "stock");
    }

    /**
     * Replies go packed into the channel's packets ({@code ChannelWriter}), as OpenSSH's do. A client with OpenSSH's
     * 32 KiB packets reading 32 KiB at a time, its requests all sent at once and a STAT between them, gets every
     * reply whole and in order. Each read's reply is 13 bytes longer than a packet, and MINA's own writes sent every
     * one as a full packet and a 13-byte one (129 packets here, with the STAT's). The client is a slow one behind a
     * small window (a millisecond per packet, a 64 KiB window), so replies wait for it and go out as full packets.
     */
    @Test
    void repliesShouldBePackedIntoTheClientsPackets() throws Exception {
        String user = uniqueUser("packed");
        admin().createAccount(user, PASSWORD);
        int reads = 64;
        int chunk = 32 * 1024;
        byte[] data = random(reads * chunk);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            write(sftp, "/packed.bin", data);
        }
        try (ClientSession session = clients.login(sftpPort(), user, PASSWORD)) {
            CoreModuleProperties.MAX_PACKET_SIZE.set(session, (long) chunk);
            CoreModuleProperties.WINDOW_SIZE.set(session, 2L * chunk);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            int[] packets = {0};
            OutputStream counting = new OutputStream() {
                @Override
                public synchronized void write(int b) {
                    packets[0]++;
                    received.write(b);
                }

                @Override
                public synchronized void write(byte[] b, int off, int len) {
                    packets[0]++; // the channel hands each SSH packet's data over in one call
                    received.write(b, off, len);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // a slow network: the window is the limit
                }
            };
            try (ChannelSubsystem channel = session.createSubsystemChannel("sftp")) {
                channel.setOut(counting);
                channel.setErr(OutputStream.nullOutputStream());
                channel.open().verify(SftpClients.TIMEOUT);
                OutputStream requests = channel.getInvertedIn();
                requests.write(sftpMessage(SftpConstants.SSH_FXP_INIT, b -> b.putInt(3)));
                requests.write(sftpMessage(SftpConstants.SSH_FXP_OPEN, b -> {
                    b.putInt(1);
                    b.putString("/packed.bin");
                    b.putInt(SftpConstants.SSH_FXF_READ);
                    b.putInt(0);
                }));
                requests.flush();
                Buffer opened = awaitMessages(received, 2).get(1);
                assertThat(opened.getUByte()).isEqualTo(SftpConstants.SSH_FXP_HANDLE);
                opened.getInt(); // the id
                byte[] handle = opened.getBytes();
                ByteArrayOutputStream batch = new ByteArrayOutputStream();
                for (int i = 0; i < reads; i++) {
                    int id = 100 + i;
                    long offset = (long) i * chunk;
                    batch.write(sftpMessage(SftpConstants.SSH_FXP_READ, b -> {
                        b.putInt(id);
                        b.putBytes(handle);
                        b.putLong(offset);
                        b.putInt(chunk);
                    }));
                    if (i == reads / 2) {
                        batch.write(sftpMessage(SftpConstants.SSH_FXP_STAT, b -> {
                            b.putInt(99);
                            b.putString("/packed.bin");
                        }));
                    }
                }
                int before = packets[0];
                requests.write(batch.toByteArray());
                requests.flush();
                List<Buffer> replies = awaitMessages(received, 2 + reads + 1);
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                for (Buffer reply : replies.subList(2, replies.size())) {
                    int type = reply.getUByte();
                    int id = reply.getInt();
                    if (type == SftpConstants.SSH_FXP_ATTRS) {
                        assertThat(id).isEqualTo(99);
                        continue;
                    }
                    assertThat(type).isEqualTo(SftpConstants.SSH_FXP_DATA);
                    assertThat(id).isEqualTo(100 + content.size() / chunk); // in order
                    content.write(reply.getBytes());
                }
                assertThat(content.toByteArray()).isEqualTo(data);
                int sent;
                synchronized (counting) {
                    sent = packets[0] - before;
                }
                assertThat(sent).as("packets for %d replies of 32,781 bytes and one STAT's", reads)
                        .isLessThan(2 * reads);
            }
        }
    }

    /** An SFTP message of {@code type}, its fields put by {@code fields}, with its length before it. */
    private static byte[] sftpMessage(int type, Consumer<Buffer> fields) {
        Buffer buffer = new ByteArrayBuffer();
        buffer.putInt(0);
        buffer.putByte((byte) type);
        fields.accept(buffer);
        BufferUtils.updateLengthPlaceholder(buffer, 0);
        return buffer.getCompactData();
    }

    /** The first {@code count} SFTP messages in what the channel received, each from its type on, once they are. */
    private static List<Buffer> awaitMessages(ByteArrayOutputStream received, int count) {
        List<Buffer> messages = new ArrayList<>();
        await().atMost(SftpClients.TIMEOUT).until(() -> {
            byte[] bytes;
            synchronized (received) {
                bytes = received.toByteArray();
            }
            messages.clear();
            Buffer stream = new ByteArrayBuffer(bytes);
            while (messages.size() < count && stream.available() >= Integer.BYTES) {
                int length = stream.getInt();
                if (stream.available() < length) {
                    break;
                }
                messages.add(new ByteArrayBuffer(stream.array(), stream.rpos(), length));
                stream.rpos(stream.rpos() + length);
            }
            return messages.size() == count;
        });
        return messages;
    }

    @Test
    void passwordAndPublicKeyLoginsShouldOpenTheHome() throws Exception {
        String user = uniqueUser("login");
        admin().createAccount(user, PASSWORD);
        KeyPair key = KeyUtils.generateKeyPair("ssh-ed25519", 256);
        admin().addKey(user, PublicKeyEntry.toString(key.getPublic()));

        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThat(sftp.canonicalPath(".")).isEqualTo("/");
        }
        try (ClientSession session = clients.login(sftpPort(), user, key);
                SftpClient sftp = SftpClientFactory.instance().createSftpClient(session)) {
            write(sftp, "/by-key.txt", "hello".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(Files.readString(home(user).resolve("by-key.txt"))).isEqualTo("hello");
    }

    @Test
    void wrongCredentialsShouldFailAlikeWhetherOrNotTheUserExists() throws Exception {
        String user = uniqueUser("creds");
        admin().createAccount(user, PASSWORD);
        String disabled = uniqueUser("disabled");
        admin().createAccount(disabled, PASSWORD);
        assertThat(admin().patch("/api/v1/accounts/" + disabled, "{\"enabled\":false}").status()).isEqualTo(200);
        KeyPair unregistered = KeyUtils.generateKeyPair("ssh-ed25519", 256);

        List<String> failures = new ArrayList<>();
        failures.add(loginFailure(() -> clients.login(sftpPort(), user, "wrong-password")));
        failures.add(loginFailure(() -> clients.login(sftpPort(), "no-such-" + user, PASSWORD)));
        failures.add(loginFailure(() -> clients.login(sftpPort(), disabled, PASSWORD)));
        failures.add(loginFailure(() -> clients.login(sftpPort(), user, unregistered)));
        assertThat(failures).allSatisfy(message -> assertThat(message).isEqualTo(failures.get(0)));
    }

    @Test
    void uploadAndDownloadShouldRoundTripAndBeLoggedWithTheirChecksum() throws Exception {
        String user = uniqueUser("xfer");
        admin().createAccount(user, PASSWORD);
        byte[] data = random(3 * 1024 * 1024 + 17);

        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            sftp.mkdir("/in");
            write(sftp, "/in/orders.edi", data);
            assertThat(read(sftp, "/in/orders.edi")).isEqualTo(data);
        }
        assertThat(Files.readAllBytes(home(user).resolve("in/orders.edi"))).isEqualTo(data);

        JsonNode rows = transfers(user, 2);
        JsonNode download = rows.get(0);
        JsonNode upload = rows.get(1);
        assertThat(upload.get("direction").asString()).isEqualTo("upload");
        assertThat(upload.get("status").asString()).isEqualTo("success");
        assertThat(upload.get("path").asString()).isEqualTo("/in/orders.edi");
        assertThat(upload.get("bytes").asLong()).isEqualTo(data.length);
        assertThat(upload.get("sha256").asString()).isEqualTo(sha256(data));
        assertThat(upload.get("protocol").asString()).isEqualTo("sftp");
        assertThat(upload.get("node").asString()).isEqualTo("it-node");
        assertThat(upload.get("clientAddress").asString()).isEqualTo("127.0.0.1");
        assertThat(upload.get("sessionId").asString()).isNotBlank();
        assertThat(download.get("direction").asString()).isEqualTo("download");
        assertThat(download.get("sha256").asString()).isEqualTo(sha256(data));
        assertThat(download.get("bytes").asLong()).isEqualTo(data.length);
        // the upload's checksum is kept with the file (the download above logged it without hashing again), where
        // the file system keeps user attributes ...
        java.nio.file.Path stored = home(user).resolve("in/orders.edi");
        var attributes = Files.getFileAttributeView(stored, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        boolean kept;
        try {
            kept = attributes != null && attributes.list().contains("ferry.sha256");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            kept = false;
        }
        assertThat(kept).as("kept where the storage's file system supports user attributes")
                .isEqualTo(userAttributesWork(stored.getParent()));
        // ... and vouches for nothing once the file is changed behind Ferry's back, even at the same size
        byte[] altered = data.clone();
        altered[1234] ^= 1;
        Files.write(stored, altered);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThat(read(sftp, "/in/orders.edi")).isEqualTo(altered);
        }
        JsonNode again = transfers(user, 3).get(0);
        assertThat(again.get("direction").asString()).isEqualTo("download");
        assertThat(again.get("sha256").asString()).isEqualTo(sha256(altered));
    }

    /** Whether the file system under {@code dir} keeps user extended attributes. */
    private static boolean userAttributesWork(java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path probe = Files.createTempFile(dir, "xattr", ".probe");
        try {
            var view = Files.getFileAttributeView(probe, java.nio.file.attribute.UserDefinedFileAttributeView.class);
            view.write("ferry.probe", java.nio.ByteBuffer.wrap(new byte[] {1}));
            return view.list().contains("ferry.probe");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        } finally {
            Files.deleteIfExists(probe);
        }
    }

    @Test
    void listStatRenameMkdirRmdirAndRemoveShouldWork() throws Exception {
        String user = uniqueUser("ops");
        admin().createAccount(user, PASSWORD);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            sftp.mkdir("/outbound");
            write(sftp, "/outbound/a.txt", "aaa".getBytes(StandardCharsets.UTF_8));
            write(sftp, "/outbound/b.txt", "bbbb".getBytes(StandardCharsets.UTF_8));

            assertThat(list(sftp, "/outbound")).contains("a.txt", "b.txt");
            Attributes stat = sftp.stat("/outbound/b.txt");
            assertThat(stat.getSize()).isEqualTo(4);
            assertThat(stat.isRegularFile()).isTrue();

            sftp.rename("/outbound/a.txt", "/outbound/renamed.txt");
            assertThat(sftp.stat("/outbound/renamed.txt").getSize()).isEqualTo(3);
            assertThatThrownBy(() -> sftp.stat("/outbound/a.txt"))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_NO_SUCH_FILE));

            sftp.remove("/outbound/renamed.txt");
            sftp.remove("/outbound/b.txt");
            sftp.rmdir("/outbound");
        }
        assertThat(home(user).resolve("outbound")).doesNotExist();
    }

    @Test
    void setstatShouldChangeFileTimes() throws Exception {
        String user = uniqueUser("times");
        admin().createAccount(user, PASSWORD);
        FileTime past = FileTime.from(1_600_000_000L, TimeUnit.SECONDS);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            write(sftp, "/stamped.txt", "x".getBytes(StandardCharsets.UTF_8));
            Attributes attributes = new Attributes();
            attributes.modifyTime(past);
            attributes.accessTime(past);
            sftp.setStat("/stamped.txt", attributes);
            assertThat(sftp.stat("/stamped.txt").getModifyTime().to(TimeUnit.SECONDS)).isEqualTo(1_600_000_000L);
        }
        assertThat(Files.getLastModifiedTime(home(user).resolve("stamped.txt")).to(TimeUnit.SECONDS))
                .isEqualTo(1_600_000_000L);
    }

    /**
     * check-file answers the SHA-256 without a transfer. A size change by name (issue 21: it was refused; OpenSSH
     * truncates) continues the file as an upload: the cut file is published in one rename, with its own row.
     */
    @Test
    void checkFileExtensionShouldAnswerTheSha256AndASizeChangeShouldPublishTheCutFile() throws Exception {
        String user = uniqueUser("hash");
        admin().createAccount(user, PASSWORD);
        byte[] data = random(300_000);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            write(sftp, "/hash-me.bin", data);
            CheckFileNameExtension checkFile = sftp.getExtension(CheckFileNameExtension.class);
            Map.Entry<String, Collection<byte[]>> answer = checkFile.checkFileName("/hash-me.bin", List.of("sha256"),
                    0L, 0L, 0);
            assertThat(answer.getKey()).isEqualTo("sha256");
            assertThat(HexFormat.of().formatHex(answer.getValue().iterator().next())).isEqualTo(sha256(data));

            Attributes truncate = new Attributes();
            truncate.setSize(1000);
            sftp.setStat("/hash-me.bin", truncate);
            assertThat(sftp.stat("/hash-me.bin").getSize()).isEqualTo(1000);
        }
        byte[] cut = Arrays.copyOf(data, 1000);
        assertThat(Files.readAllBytes(home(user).resolve("hash-me.bin"))).isEqualTo(cut);
        // hashing is not a transfer: the upload and the cut are the log's two rows, the cut with its content's hash
        JsonNode rows = transfers(user, 2);
        assertThat(rows.get(0).get("direction").asString()).isEqualTo("upload");
        assertThat(rows.get(0).get("sha256").asString()).isEqualTo(sha256(cut));
        assertThat(rows.get(1).get("direction").asString()).isEqualTo("upload");
        assertThat(rows.get(1).get("sha256").asString()).isEqualTo(sha256(data));
    }

    @Test
    void droppedUploadShouldBeLoggedAsFailedAndResumable() throws Exception {
        String user = uniqueUser("resume");
        admin().createAccount(user, PASSWORD);
        byte[] data = random(2 * 1024 * 1024);
        int firstPart = 1024 * 1024;

        ClientSession dropped = clients.login(sftpPort(), user, PASSWORD);
        SftpClient first = SftpClientFactory.instance().createSftpClient(dropped);
        CloseableHandle handle = first.open("/big.bin", EnumSet.of(OpenMode.Write, OpenMode.Create));
        first.write(handle, 0, data, 0, firstPart);
        dropped.close(true); // the connection dies with the file still open

        JsonNode failed = await().atMost(Duration.ofSeconds(20)).until(() -> transfers(user, -1), r -> r.size() == 1)
                .get(0);
        assertThat(failed.get("status").asString()).isEqualTo("failed");
        assertThat(failed.get("error").asString()).contains("connection closed");
        assertThat(failed.get("bytes").asLong()).isEqualTo(firstPart);

        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            long have = sftp.stat("/big.bin").getSize();
            assertThat(have).isEqualTo(firstPart);
            // what `reput` does: open without truncating, append the rest
            try (CloseableHandle rest = sftp.open("/big.bin", EnumSet.of(OpenMode.Write, OpenMode.Append))) {
                // its handle's FSTAT answers what the upload holds (issue 23: it failed on a handle of a pending part)
                assertThat(sftp.stat(rest).getSize()).isEqualTo(have);
                sftp.write(rest, have, data, (int) have, data.length - (int) have);
            }
        }
        assertThat(Files.readAllBytes(home(user).resolve("big.bin"))).isEqualTo(data);
        JsonNode resumed = transfers(user, 2).get(0);
        assertThat(resumed.get("status").asString()).isEqualTo("success");
        assertThat(resumed.get("startOffset").asLong()).isEqualTo(firstPart);
        assertThat(resumed.get("bytes").asLong()).isEqualTo(data.length - firstPart);
        assertThat(resumed.get("sha256").asString()).isEqualTo(sha256(java.util.Arrays.copyOfRange(data, firstPart,
                data.length)));
    }

    @Test
    void downloadShouldResumeAtAnOffset() throws Exception {
        String user = uniqueUser("reget");
        admin().createAccount(user, PASSWORD);
        byte[] data = random(512 * 1024);
        Files.createDirectories(home(user));
        Files.write(home(user).resolve("report.csv"), data);
        int offset = 200_000;
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD);
                CloseableHandle handle = sftp.open("/report.csv", EnumSet.of(OpenMode.Read))) {
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            byte[] buffer = new byte[32 * 1024];
            long position = offset;
            int n;
            while ((n = sftp.read(handle, position, buffer, 0, buffer.length)) > 0) {
                tail.write(buffer, 0, n);
                position += n;
            }
            assertThat(tail.toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(data, offset, data.length));
        }
        JsonNode row = transfers(user, 1).get(0);
        assertThat(row.get("direction").asString()).isEqualTo("download");
        assertThat(row.get("startOffset").asLong()).isEqualTo(offset);
        assertThat(row.get("bytes").asLong()).isEqualTo(data.length - offset);
    }

    @Test
    void refusedOperationsShouldAnswerPermissionDeniedAndChangeNothing() throws Exception {
        String reader = uniqueUser("reader");
        admin().createAccount(reader, PASSWORD, "list", "read");
        Files.createDirectories(home(reader).resolve("dir"));
        Files.writeString(home(reader).resolve("keep.txt"), "keep");

        try (SftpClient sftp = clients.sftp(sftpPort(), reader, PASSWORD)) {
            assertDenied(() -> write(sftp, "/new.txt", "x".getBytes(StandardCharsets.UTF_8)));
            assertDenied(() -> write(sftp, "/keep.txt", "overwrite".getBytes(StandardCharsets.UTF_8)));
            assertDenied(() -> sftp.mkdir("/made"));
            assertDenied(() -> sftp.remove("/keep.txt"));
            assertDenied(() -> sftp.rmdir("/dir"));
            assertDenied(() -> sftp.rename("/keep.txt", "/moved.txt"));
            Attributes attributes = new Attributes();
            attributes.modifyTime(FileTime.from(1, TimeUnit.SECONDS));
            attributes.accessTime(FileTime.from(1, TimeUnit.SECONDS)); // SFTP v3 sends both times or neither
            assertDenied(() -> sftp.setStat("/keep.txt", attributes));
            assertDenied(() -> sftp.symLink("/link", "/keep.txt"));
            assertThat(read(sftp, "/keep.txt")).isEqualTo("keep".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(home(reader).resolve("new.txt")).doesNotExist();
        assertThat(home(reader).resolve("made")).doesNotExist();
        assertThat(home(reader).resolve("moved.txt")).doesNotExist();
        assertThat(home(reader).resolve("link")).doesNotExist();
        assertThat(home(reader).resolve("dir")).isDirectory();
        assertThat(Files.readString(home(reader).resolve("keep.txt"))).isEqualTo("keep");

        String dropbox = uniqueUser("dropbox");
        admin().createAccount(dropbox, PASSWORD, "write");
        Files.createDirectories(home(dropbox));
        Files.writeString(home(dropbox).resolve("secret.txt"), "secret");
        try (SftpClient sftp = clients.sftp(sftpPort(), dropbox, PASSWORD)) {
            write(sftp, "/upload.txt", "in".getBytes(StandardCharsets.UTF_8));
            assertDenied(() -> read(sftp, "/secret.txt"));
            assertDenied(() -> list(sftp, "/"));
        }
        assertThat(Files.readString(home(dropbox).resolve("upload.txt"))).isEqualTo("in");
    }

    @Test
    void pathsShouldNeverLeaveTheHome() throws Exception {
        String victim = uniqueUser("victim");
        admin().createAccount(victim, PASSWORD);
        Files.createDirectories(home(victim));
        Files.writeString(home(victim).resolve("private.txt"), "victim's");
        String attacker = uniqueUser("attacker");
        admin().createAccount(attacker, PASSWORD);
        Files.createDirectories(home(attacker));
        // a link someone else left on the storage, pointing into another home
        Files.createSymbolicLink(home(attacker).resolve("shortcut"), home(victim));

        try (SftpClient sftp = clients.sftp(sftpPort(), attacker, PASSWORD)) {
            for (String path : List.of("/../" + victim + "/private.txt", "../../" + victim + "/private.txt",
                    storage.path().resolve(victim).resolve("private.txt").toString(),
                    "/%2e%2e/" + victim + "/private.txt", "..\\" + victim + "\\private.txt")) {
                assertThatThrownBy(() -> read(sftp, path)).as(path).isInstanceOf(SftpException.class);
            }
            assertDenied(() -> read(sftp, "/shortcut/private.txt"));
            assertDenied(() -> write(sftp, "/shortcut/planted.txt", "x".getBytes(StandardCharsets.UTF_8)));
            assertDenied(() -> list(sftp, "/shortcut"));
            assertThat(sftp.canonicalPath("/../../..")).isEqualTo("/");

            write(sftp, "/../../escaped.txt", "stays home".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(home(attacker).resolve("escaped.txt")).hasContent("stays home");
        assertThat(storage.path().resolve("escaped.txt")).doesNotExist();
        assertThat(storage.path().getParent().resolve("escaped.txt")).doesNotExist();
        assertThat(home(victim).resolve("planted.txt")).doesNotExist();
    }

    private JsonNode transfers(String user, int expected) {
        JsonNode items = admin().get("/api/v1/transfers?account=" + user).json().get("items");
        if (expected >= 0) {
            assertThat(items.size()).isEqualTo(expected);
        }
        return items;
    }

    private static void assertDenied(ThrowingRunnable action) {
        assertThatThrownBy(action::run).isInstanceOfSatisfying(SftpException.class,
                e -> assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_PERMISSION_DENIED));
    }

    private static String loginFailure(ThrowingRunnable login) {
        try {
            login.run();
        } catch (SshException e) {
            return e.getClass().getName() + ": " + e.getMessage();
        } catch (Exception e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
        throw new AssertionError("login should have failed");
    }

    static void write(SftpClient sftp, String path, byte[] data) throws IOException {
        try (OutputStream out = sftp.write(path)) {
            out.write(data);
        }
    }

    /** Lists a directory: the server opens it on the first read, so this iterates to the end. */
    static List<String> list(SftpClient sftp, String path) throws IOException {
        List<String> names = new ArrayList<>();
        try {
            for (DirEntry entry : sftp.readDir(path)) {
                if (!entry.getFilename().equals(".") && !entry.getFilename().equals("..")) {
                    names.add(entry.getFilename());
                }
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        return names;
    }

    static byte[] read(SftpClient sftp, String path) throws IOException {
        try (InputStream in = sftp.read(path)) {
            return in.readAllBytes();
        }
    }

    static byte[] random(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
