package io.ferry.transfer.work;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.function.Consumer;

import io.ferry.storage.FileStore;
import io.ferry.storage.Quota;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.session.Transfer;
import io.ferry.transfer.session.TransferFailure;
import io.ferry.transfer.session.TransferOrigin;
import io.ferry.transfer.session.Transfers;

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
    private final Transfers transfers;

    public Intake(AccountService accounts, StorageRoot storage, Transfers transfers) {
        this.accounts = accounts;
        this.storage = storage;
        this.transfers = transfers;
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
        return take(TransferOrigin.work(protocol, sessionId, account, source), folder, name,
                out -> copy(content, out, expectedSize), alsoInTransaction);
    }

    /** What an intake stores: written to the upload's stream, which it must not close. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream upload) throws IOException;
    }

    /**
     * Stores what {@code content} writes as {@code folder/name} of {@code origin}'s account (replacing a file of that
     * name) and logs it: a file Ferry makes (an OpenPGP step's result) rather than copies. A failure of
     * {@code content}, at any point up to its end, leaves nothing published.
     */
    TransferRecord take(TransferOrigin origin, String folder, String name, Content content,
            Consumer<TransferRecord> alsoInTransaction) throws IOException {
        String account = origin.account();
        String path = (folder.endsWith("/") ? folder : folder + "/") + name;
        FileStore store;
        FileSystem files;
        try {
            var found = accounts.get(account);
            store = storage.open(found.getHome(), new Quota(found.getQuotaBytes(), found.getQuotaFiles()));
            files = store.openFileSystem();
        } catch (IOException | RuntimeException e) {
            throw notOpened(path, origin, e);
        }
        try (files) {
            Path virtual = files.getPath(path);
            Transfer transfer;
            try {
                createDirectories(store, files, folder);
                transfer = transfers.intake(store, store.resolve(virtual), path, origin);
            } catch (IOException | RuntimeException e) {
                throw notOpened(path, origin, e);
            }
            try {
                content.writeTo(new UploadStream(transfer));
            } catch (IOException | RuntimeException e) {
                transfer.fail(e);
                // once the upload let it go: the store removes a pending file only if it can lock it, so one that
                // another upload of the name took meanwhile (a resume) stays
                discardPending(store, virtual);
                throw new IntakeFailure(message(e), e);
            }
            try {
                return transfer.complete(alsoInTransaction); // kept with the file: delivering it need not hash it
            } catch (IOException e) { // its failed row is written
                discardPending(store, virtual);
                throw new IntakeFailure(message(e), e);
            }
        }
    }

    /** The intake could not start: its failed row, and the failure to throw. */
    private IntakeFailure notOpened(String path, TransferOrigin origin, Exception e) {
        transfers.failedBeforeOpening(Direction.INBOUND, path, origin, e);
        return new IntakeFailure(message(e), e);
    }

    /** A failure of Ferry's own work as the transfer log and the work item show it. */
    static String message(Throwable e) {
        return TransferFailure.of(e).as(Direction.INBOUND).logMessage();
    }

    private static void copy(InputStream content, OutputStream upload, long expectedSize) throws IOException {
        byte[] block = new byte[256 * 1024];
        long offset = 0;
        for (int n = content.readNBytes(block, 0, block.length); n > 0;
                n = content.readNBytes(block, 0, block.length)) {
            upload.write(block, 0, n);
            offset += n;
        }
        if (expectedSize >= 0 && offset != expectedSize) {
            throw new IOException("received " + offset + " bytes where " + expectedSize + " were announced: the "
                    + "file changed or the transfer broke; it was not taken");
        }
    }

    /** The upload's writes as a stream (closing it is the intake's business, not the writer's). */
    private static final class UploadStream extends OutputStream {

        private final Transfer transfer;

        UploadStream(Transfer transfer) {
            this.transfer = transfer;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer data = ByteBuffer.wrap(b, off, len);
            while (data.hasRemaining()) {
                transfer.write(data);
            }
        }
    }

    /** Nobody resumes an intake: its pending upload goes (never a complete file of that name). */
    private static void discardPending(FileStore store, Path virtual) {
        try {
            Path pending = store.resolve(virtual);
            if (!pending.getFileName().toString().equals(virtual.getFileName().toString())) {
                store.delete(pending);
            }
        } catch (IOException | RuntimeException e) {
            // left for the next intake of the name, which starts it afresh
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
