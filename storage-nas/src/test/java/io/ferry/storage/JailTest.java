package io.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JailTest {

    @TempDir
    Path tmp;

    StorageRoot storage;
    Jail jail;
    FileSystem fs;
    Path outside;

    @BeforeEach
    void setUp() throws IOException {
        storage = new StorageRoot(tmp.resolve("storage"));
        jail = storage.jail("acme");
        fs = jail.openFileSystem();
        outside = Files.writeString(tmp.resolve("secret.txt"), "not yours");
    }

    @Test
    void dotDotShouldStayInsideTheHome() throws IOException {
        Path virtual = fs.getPath("/../../secret.txt");
        assertThat(jail.toLocal(virtual)).isEqualTo(jail.home().resolve("secret.txt"));
        assertThat(Files.exists(virtual)).isFalse();
    }

    @Test
    void absolutePathsShouldBeRelativeToTheHome() throws IOException {
        Path virtual = fs.getPath(tmp.resolve("secret.txt").toString());
        assertThat(jail.checkInside(virtual)).isEqualTo(jail.home().resolve(tmp.resolve("secret.txt").toString()
                .substring(1)));
    }

    @Test
    void symlinkToOutsideShouldBeRefused() throws IOException {
        Files.createSymbolicLink(jail.home().resolve("escape"), outside);
        assertThatThrownBy(() -> jail.checkInside(fs.getPath("/escape")))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void directorySymlinkToOutsideShouldBeRefusedForPathsBelowIt() throws IOException {
        Files.createSymbolicLink(jail.home().resolve("up"), tmp);
        assertThatThrownBy(() -> jail.checkInside(fs.getPath("/up/secret.txt")))
                .isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> jail.checkInside(fs.getPath("/up/new-file")))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void danglingSymlinkShouldBeRefused() throws IOException {
        Files.createSymbolicLink(jail.home().resolve("dangling"), tmp.resolve("does-not-exist"));
        assertThatThrownBy(() -> jail.checkInside(fs.getPath("/dangling")))
                .isInstanceOf(AccessDeniedException.class);
    }

    @Test
    void symlinkInsideTheHomeShouldBeAllowed() throws IOException {
        Files.createDirectories(jail.home().resolve("real"));
        Files.createSymbolicLink(jail.home().resolve("alias"), jail.home().resolve("real"));
        assertThat(jail.checkInside(fs.getPath("/alias/new-file"))).isEqualTo(jail.home().resolve("alias/new-file"));
    }

    @Test
    void pathsThatDoNotExistYetShouldResolveInsideTheHome() throws IOException {
        assertThat(jail.checkInside(fs.getPath("/a/b/c.txt"))).isEqualTo(jail.home().resolve("a/b/c.txt"));
    }

    @Test
    void homeShouldRejectTraversalAndAbsolutePaths() {
        assertThatThrownBy(() -> StorageRoot.normalizeHome("../other")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageRoot.normalizeHome("/etc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageRoot.normalizeHome("a/../../b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageRoot.normalizeHome("a\0b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageRoot.normalizeHome("C:\\x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StorageRoot.normalizeHome("./")).isInstanceOf(IllegalArgumentException.class);
        assertThat(StorageRoot.normalizeHome("partners//acme/./in")).isEqualTo("partners/acme/in");
    }

    @Test
    void homeBehindASymlinkOutsideTheRootShouldBeRefused() throws IOException {
        Files.createSymbolicLink(storage.path().resolve("sneaky"), tmp);
        assertThatThrownBy(() -> storage.jail("sneaky")).isInstanceOf(IOException.class);
    }
}
