package io.ferry.storage;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The contract run over a {@link NasFileStore} for the home {@code acme}, with the keys a subclass chooses. */
abstract class NasFileStoreContractTest implements FileStoreContract {

    @TempDir
    Path tmp;

    StorageRoot root;
    FileSystem fs;

    /** Storage keys, or null for plain files. */
    abstract StorageKeys keys();

    StorageRoot root(StorageKeys keys, boolean encrypt) {
        return new StorageRoot(tmp.resolve("storage"), keys, encrypt, Duration.ofMinutes(5), "test", 0);
    }

    @BeforeEach
    void setUp() throws IOException {
        StorageKeys keys = keys();
        root = root(keys, keys != null);
        fs = root.open("acme", Quota.UNLIMITED).openFileSystem();
    }

    @Override
    public FileStore store(Quota quota) throws IOException {
        return root.open("acme", quota);
    }

    @Override
    public Path home() {
        return root.path().resolve("acme");
    }

    @Override
    public FileSystem fs() {
        return fs;
    }
}
