package io.ferry.storage;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

class PlainFileStoreTest implements FileStoreContract {

    @TempDir
    Path tmp;

    StorageRoot root;
    FileSystem fs;

    @BeforeEach
    void setUp() throws IOException {
        root = new StorageRoot(tmp.resolve("storage"));
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
