package io.ferry.storage;

class PlainFileStoreTest extends NasFileStoreContractTest {

    @Override
    StorageKeys keys() {
        return null;
    }
}
