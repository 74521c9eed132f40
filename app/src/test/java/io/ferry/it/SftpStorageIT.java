package io.ferry.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.stream.Stream;

import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.junit.jupiter.api.Test;

import io.ferry.storage.testing.SmallFileSystem;
import tools.jackson.databind.JsonNode;

/** What the storage promises, seen through SFTP: atomic uploads, quotas, and account changes that apply at once. */
class SftpStorageIT extends NodeIT {

    private static final String PASSWORD = "partner-password";

    @Test
    void uploadShouldBeInvisibleToListingsUntilTheClientClosesIt() throws Exception {
        String user = uniqueUser("atomic");
        admin().createAccount(user, PASSWORD);
        byte[] data = SftpOperationsIT.random(500_000);
        try (SftpClient writer = clients.sftp(sftpPort(), user, PASSWORD);
                SftpClient watcher = clients.sftp(sftpPort(), user, PASSWORD)) {
            CloseableHandle handle = writer.open("/drop.csv",
                    EnumSet.of(OpenMode.Write, OpenMode.Create, OpenMode.Truncate));
            writer.write(handle, 0, data, 0, 300_000);
            assertThat(SftpOperationsIT.list(watcher, "/")).doesNotContain("drop.csv")
                    .noneMatch(name -> name.startsWith(".ferry"));
            assertThat(home(user).resolve("drop.csv")).doesNotExist();
            writer.write(handle, 300_000, data, 300_000, data.length - 300_000);
            handle.close();
            assertThat(SftpOperationsIT.list(watcher, "/")).contains("drop.csv");
        }
        assertThat(Files.readAllBytes(home(user).resolve("drop.csv"))).isEqualTo(data);
        try (Stream<Path> files = Files.list(home(user))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("drop.csv");
        }
    }

    @Test
    void reservedNamesShouldBeClosedToClients() throws Exception {
        String user = uniqueUser("reserved");
        admin().createAccount(user, PASSWORD);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThatThrownBy(() -> SftpOperationsIT.write(sftp, "/.ferry-part-x", new byte[] {1}))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_PERMISSION_DENIED));
        }
    }

    @Test
    void quotaShouldStopAnUploadWithAClearErrorAndLeaveNothing() throws Exception {
        String user = uniqueUser("quota");
        admin().createAccount(user, PASSWORD);
        assertThat(admin().patch("/api/v1/accounts/" + user, "{\"quotaBytes\":100000,\"quotaFiles\":3}").status())
                .isEqualTo(200);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThatThrownBy(() -> SftpOperationsIT.write(sftp, "/big.bin", SftpOperationsIT.random(150_000)))
                    .isInstanceOfSatisfying(SftpException.class, e -> {
                        assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_FAILURE);
                        assertThat(e.getMessage()).contains("quota exceeded").contains("100000 bytes");
                    });
            assertThat(SftpOperationsIT.list(sftp, "/")).isEmpty();
            // a write far past the end asks for a gap the quota has no room for: refused the same way, nothing kept
            try (SftpClient.CloseableHandle gap = sftp.open("/gap.bin", SftpClient.OpenMode.Write,
                    SftpClient.OpenMode.Create)) {
                assertThatThrownBy(() -> sftp.write(gap, 10_000_000L, new byte[] {1}))
                        .isInstanceOfSatisfying(SftpException.class,
                                e -> assertThat(e.getMessage()).contains("quota exceeded").contains("100000 bytes"));
            } catch (SftpException closing) {
                // the close of an upload the quota removed answers with the quota too
                assertThat(closing.getMessage()).contains("quota");
            }
            assertThat(SftpOperationsIT.list(sftp, "/")).isEmpty();
            SftpOperationsIT.write(sftp, "/a", new byte[] {1});
            SftpOperationsIT.write(sftp, "/b", new byte[] {2});
            SftpOperationsIT.write(sftp, "/c", new byte[] {3});
            assertThatThrownBy(() -> SftpOperationsIT.write(sftp, "/d", new byte[] {4}))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getMessage()).contains("file quota").contains("3 files"));
        }
        try (Stream<Path> files = Files.list(home(user))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("a", "b", "c");
        }
    }

    @Test
    void uploadThatRunsOutOfSpaceShouldNeverBePublishedAndResumeOnceThereIsRoom() throws Exception {
        String user = uniqueUser("full");
        admin().createAccount(user, PASSWORD);
        String archive = uniqueUser("archive");
        admin().createAccount(archive, PASSWORD);
        String route = uniqueUser("route");
        assertThat(admin().post("/api/v1/routes", "{\"name\":\"" + route + "\",\"account\":\"" + user
                + "\",\"pathGlob\":\"/*.bin\",\"copyTo\":\"" + archive + ":/in\"}").status()).isEqualTo(201);
        byte[] data = SftpOperationsIT.random(3_000_000);
        try (SmallFileSystem disk = SmallFileSystem.mount(home(user), 1 << 20);
                SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            CloseableHandle handle = sftp.open("/big.bin", EnumSet.of(OpenMode.Write, OpenMode.Create,
                    OpenMode.Truncate));
            assertThatThrownBy(() -> sftp.write(handle, 0, data, 0, data.length))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getMessage()).contains("no space left on the storage"));
            // the client closes its handle as after any write: the close must fail, and publish nothing
            assertThatThrownBy(handle::close).isInstanceOfSatisfying(SftpException.class, e -> {
                assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_FAILURE);
                assertThat(e.getMessage()).contains("no space left on the storage");
            });
            assertThat(SftpOperationsIT.list(sftp, "/")).isEmpty();
            assertThat(home(user).resolve("big.bin")).doesNotExist();
            JsonNode failed = latestTransfer(user);
            assertThat(failed.get("status").asString()).isEqualTo("failed");
            assertThat(failed.get("error").asString()).contains("no space left on the storage");
            // the route made no work item of the half file
            java.util.List<String> routes = new java.util.ArrayList<>();
            admin().get("/api/v1/work-items?limit=1000").json().forEach(item -> routes.add(item.get("route")
                    .asString()));
            assertThat(routes).doesNotContain(route);

            disk.resize(16 << 20);
            long have = sftp.stat("/big.bin").getSize();
            assertThat(have).isPositive().isLessThan(data.length);
            try (CloseableHandle rest = sftp.open("/big.bin", EnumSet.of(OpenMode.Write, OpenMode.Append))) {
                sftp.write(rest, have, data, (int) have, data.length - (int) have);
            }
            assertThat(SftpOperationsIT.sha256(Files.readAllBytes(home(user).resolve("big.bin"))))
                    .isEqualTo(SftpOperationsIT.sha256(data));
            assertThat(latestTransfer(user).get("status").asString()).isEqualTo("success");
        }
    }

    @Test
    void uploadWhoseStorageTurnsReadOnlyMidwayShouldFailInWordsAndPublishNothing() throws Exception {
        String user = uniqueUser("readonly");
        admin().createAccount(user, PASSWORD);
        byte[] data = SftpOperationsIT.random(2_000_000);
        try (SmallFileSystem disk = SmallFileSystem.ext4(home(user), 64 << 20);
                SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            CloseableHandle handle = sftp.open("/ro.bin", EnumSet.of(OpenMode.Write, OpenMode.Create,
                    OpenMode.Truncate));
            sftp.write(handle, 0, data, 0, 500_000);
            disk.failReadOnly(); // the kernel turns the volume read-only under the open upload
            assertThatThrownBy(() -> sftp.write(handle, 500_000, data, 500_000, data.length - 500_000))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getMessage()).contains("the storage is read-only"));
            assertThatThrownBy(handle::close).isInstanceOfSatisfying(SftpException.class,
                    e -> assertThat(e.getMessage()).contains("the storage is read-only"));
            assertThat(home(user).resolve("ro.bin")).doesNotExist();
            JsonNode failed = latestTransfer(user);
            assertThat(failed.get("status").asString()).isEqualTo("failed");
            assertThat(failed.get("error").asString()).contains("the storage is read-only");
        }
    }

    private JsonNode latestTransfer(String user) {
        return admin().get("/api/v1/transfers?account=" + user).json().get("items").get(0);
    }

    @Test
    void permissionChangesShouldApplyToOpenSessionsAndDisablingShouldEndThem() throws Exception {
        String user = uniqueUser("live");
        admin().createAccount(user, PASSWORD);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            SftpOperationsIT.write(sftp, "/before.txt", new byte[] {1});
            admin().patch("/api/v1/accounts/" + user, "{\"permissions\":[\"list\",\"read\"]}");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThatThrownBy(() -> SftpOperationsIT.write(sftp, "/after.txt", new byte[] {2}))
                            .isInstanceOfSatisfying(SftpException.class, e -> assertThat(e.getStatus())
                                    .isEqualTo(SftpConstants.SSH_FX_PERMISSION_DENIED)));
            // once refused, refused for good, and nothing written
            assertThatThrownBy(() -> SftpOperationsIT.write(sftp, "/never.txt", new byte[] {3}))
                    .isInstanceOf(SftpException.class);
            assertThat(home(user).resolve("never.txt")).doesNotExist();
            admin().patch("/api/v1/accounts/" + user, "{\"enabled\":false}");
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    sftp.stat("/before.txt");
                    return false;
                } catch (Exception e) {
                    return !sftp.isOpen() || !sftp.getClientSession().isOpen();
                }
            });
        }
    }

    @Test
    void replacingAFileByRenameShouldNeedTheWritePermission() throws Exception {
        String user = uniqueUser("rename");
        admin().createAccount(user, PASSWORD, "list", "read", "rename");
        Files.createDirectories(home(user));
        Files.writeString(home(user).resolve("a.txt"), "a");
        Files.writeString(home(user).resolve("b.txt"), "b");
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            OpenSSHPosixRenameExtension posixRename = sftp.getExtension(OpenSSHPosixRenameExtension.class);
            assertThatThrownBy(() -> posixRename.posixRename("/a.txt", "/b.txt"))
                    .isInstanceOfSatisfying(SftpException.class,
                            e -> assertThat(e.getStatus()).isEqualTo(SftpConstants.SSH_FX_PERMISSION_DENIED));
            posixRename.posixRename("/a.txt", "/c.txt");
        }
        assertThat(home(user).resolve("b.txt")).hasContent("b");
        assertThat(home(user).resolve("c.txt")).hasContent("a");
    }

    @Test
    void setstatShouldNotChangeOwnersOrModes() throws Exception {
        String user = uniqueUser("chown");
        admin().createAccount(user, PASSWORD);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            SftpOperationsIT.write(sftp, "/mine.txt", "x".getBytes(StandardCharsets.UTF_8));
            Path file = home(user).resolve("mine.txt");
            Object uid = Files.getAttribute(file, "unix:uid");
            Object mode = Files.getAttribute(file, "unix:mode");
            Attributes attributes = new Attributes();
            attributes.owner(4242, 4242);
            attributes.perms(0777);
            sftp.setStat("/mine.txt", attributes);
            assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(uid);
            assertThat(Files.getAttribute(file, "unix:mode")).isEqualTo(mode);
        }
    }

    @Test
    void droppedUploadShouldShowItsResumableSizeToStatButNotToListings() throws Exception {
        String user = uniqueUser("pending");
        admin().createAccount(user, PASSWORD);
        ClientSession dropped = clients.login(sftpPort(), user, PASSWORD);
        SftpClient first = SftpClientFactory.instance().createSftpClient(dropped);
        CloseableHandle handle = first.open("/half.bin", EnumSet.of(OpenMode.Write, OpenMode.Create));
        first.write(handle, 0, SftpOperationsIT.random(70_000), 0, 70_000);
        dropped.close(true);
        await().atMost(Duration.ofSeconds(20)).until(() -> admin().get("/api/v1/transfers?account=" + user)
                .json().get("totalItems").asLong() == 1);
        try (SftpClient sftp = clients.sftp(sftpPort(), user, PASSWORD)) {
            assertThat(sftp.stat("/half.bin").getSize()).isEqualTo(70_000);
            assertThat(sftp.canonicalPath("/half.bin")).isEqualTo("/half.bin"); // not the stored name
            assertThat(SftpOperationsIT.list(sftp, "/")).isEmpty();
            assertThatThrownBy(() -> SftpOperationsIT.read(sftp, "/half.bin")).isInstanceOf(SftpException.class);
            sftp.remove("/half.bin"); // cancels the pending upload
            assertThatThrownBy(() -> sftp.stat("/half.bin")).isInstanceOf(SftpException.class);
        }
        try (Stream<Path> files = Files.list(home(user))) {
            assertThat(files.toList()).isEmpty();
        }
    }
}
