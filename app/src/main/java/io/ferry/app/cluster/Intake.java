package io.ferry.app.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.function.Consumer;

import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.storage.Upload;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.log.TransferTracker;

/**
 * Takes a file Ferry fetched or found into an account's folder as an upload would arrive: through the account's
 * storage (its jail, quota and encryption), invisible until complete and durable, then one transfer-log row
 * (direction {@code inbound}) whose transaction also runs the account's routes and records that the file was taken.
 */
public final class Intake {

    /** The file could not be taken in; its failed transfer-log row is written already. */
    static final class IntakeFailure extends IOException {
        IntakeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final AccountService accounts;
    private final StorageRoot storage;
    private final TransferLog transferLog;
    private final String nodeId;

    public Intake(AccountService accounts, StorageRoot storage, TransferLog transferLog, String nodeId) {
        this.accounts = accounts;
        this.storage = storage;
        this.transferLog = transferLog;
        this.nodeId = nodeId;
    }

    /**
     * Stores {@code content} as {@code folder/name} of the account (replacing a file of that name) and logs it.
     *
     * @param expectedSize the size the source announced: any other count fails the intake and leaves nothing
     * @param source       the transfer log's "client" column: where the file came from
     * @param alsoInTransaction runs in the log row's transaction (records what was taken), after the file is durable
     * @return the committed row
     * @throws IntakeFailure when the file could not be stored (its failed row is logged then)
     */
    TransferRecord take(String account, String folder, String name, InputStream content, long expectedSize,
            String protocol, String sessionId, String source, Consumer<TransferRecord> alsoInTransaction)
            throws IOException {
        String path = (folder.endsWith("/") ? folder : folder + "/") + name;
        TransferTracker tracker = new TransferTracker(Direction.INBOUND);
        String sha256;
        try {
            var found = accounts.get(account);
            FileStore store = storage.open(found.getHome(), new Quota(found.getQuotaBytes(), found.getQuotaFiles()));
            try (FileSystem files = store.openFileSystem()) {
                createDirectories(store, files, folder);
                sha256 = write(store, files.getPath(path), content, expectedSize, tracker);
            }
        } catch (IOException | RuntimeException e) {
            String error = message(e);
            try {
                transferLog.record(tracker.toRecord(nodeId, protocol, sessionId, account, path, null, error, source));
            } catch (RuntimeException logging) {
                e.addSuppressed(logging);
            }
            throw new IntakeFailure(error, e);
        }
        return transferLog.record(tracker.toRecord(nodeId, protocol, sessionId, account, path, sha256, null, source),
                alsoInTransaction);
    }

    /** A failure as the transfer log and the work item show it: its message, or its kind when it has none. */
    static String message(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String write(FileStore store, Path path, InputStream content, long expectedSize,
            TransferTracker tracker) throws IOException {
        Upload upload = store.openUpload(store.resolve(path), true, false);
        boolean complete = false;
        try {
            byte[] block = new byte[256 * 1024];
            long offset = 0;
            for (int n = content.readNBytes(block, 0, block.length); n > 0;
                    n = content.readNBytes(block, 0, block.length)) {
                ByteBuffer data = ByteBuffer.wrap(block, 0, n);
                tracker.moved(offset, data);
                while (data.hasRemaining()) {
                    upload.write(data);
                }
                offset += n;
            }
            if (expectedSize >= 0 && offset != expectedSize) {
                throw new IOException("received " + offset + " bytes where " + expectedSize + " were announced: the "
                        + "file changed or the transfer broke; it was not taken");
            }
            upload.complete(tracker.wholeFileSha256(upload)); // kept with the file: delivering it need not hash it
            complete = true;
            return tracker.sha256(upload);
        } finally {
            upload.abandon(); // no-op after complete()
            if (!complete) {
                // nobody resumes an intake: its pending upload goes (never a complete file of that name)
                Path pending = store.resolve(path);
                if (!pending.getFileName().toString().equals(path.getFileName().toString())) {
                    store.delete(pending);
                }
            }
        }
    }

    private static void createDirectories(FileStore store, FileSystem files, String folder) throws IOException {
        Path current = files.getPath("/");
        for (Path part : files.getPath(folder)) {
            current = current.resolve(part.toString());
            try {
                store.createDirectory(store.resolve(current));
            } catch (FileAlreadyExistsException exists) {
                // there already
            }
        }
    }
}
