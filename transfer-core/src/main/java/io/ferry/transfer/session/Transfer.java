package io.ferry.transfer.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.LogText;
import io.ferry.storage.Upload;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.log.TransferTracker;

/**
 * One file moving, whatever the protocol: the storage's channel (an {@link Upload}, or a file's content), every byte
 * counted and hashed as it passes ({@link TransferTracker}), ended exactly once by {@link #complete} or
 * {@link #fail}, each writing the one transfer-log row and the one log line of the transfer.
 *
 * <p>The rule every door shares: an upload is published only by {@link #complete} and only when every write
 * succeeded (the storage refuses to publish one whose write, flush or sync failed); its row is committed before
 * {@link #complete} returns, so a protocol that acknowledges after it never acknowledges a file the log could lose.
 */
public final class Transfer implements SeekableByteChannel {

    private static final Logger log = LoggerFactory.getLogger(Transfer.class);

    private final TransferLog transferLog;
    private final String nodeId;
    private final SeekableByteChannel content;
    private final TransferTracker tracker;
    private final String path;
    private final TransferOrigin origin;
    private boolean ended;
    /** What a client read back on an upload's read-write handle: a download of its own row, when any was read. */
    private TransferTracker readBack;
    /** The upload's rename happened inside its row's transaction, which has not committed (yet). */
    private boolean publishedWithoutCommit;
    /** The first read or write the storage refused: the reason the row gives, whatever ends the transfer. */
    private IOException refused;

    Transfer(TransferLog transferLog, String nodeId, SeekableByteChannel content, TransferTracker tracker,
            String path, TransferOrigin origin) {
        this.transferLog = transferLog;
        this.nodeId = nodeId;
        this.content = content;
        this.tracker = tracker;
        this.path = path;
        this.origin = origin;
    }

    /** The counter and hasher, for a sender that reads {@link #content()} itself (a delivery). */
    public TransferTracker tracker() {
        return tracker;
    }

    /** The storage's channel, untracked (a delivery reads it and reports to {@link #tracker()}). */
    public SeekableByteChannel content() {
        return content;
    }

    /** Where the transfer starts: an upload's resumable size, or a download's offset, when it was opened. */
    public long startSize() throws IOException {
        return content instanceof Upload upload ? upload.startSize() : content.position();
    }

    /**
     * Ends a transfer refused before any byte moved (a resume at the wrong offset, no data connection): an upload
     * stays as it was, and no row is written, since nothing was attempted.
     */
    public void cancel() {
        if (ended) {
            return;
        }
        ended = true;
        release();
    }

    /** Lets go of the storage: an upload not completed is kept, durable, for a resume; a reader is closed. */
    private void release() {
        try {
            if (content instanceof Upload upload) {
                upload.abandon(); // no-op after complete()
            } else {
                content.close();
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Closing {} failed: {}", LogText.escaped(path), TransferFailure.describe(e));
        }
    }

    /**
     * The cause to report for a transfer that broke with {@code e}: the storage's first refusal of one of its reads
     * or writes when there was one (what broke next, a closed data connection, is only its consequence), else
     * {@code e}.
     */
    public Throwable causeOf(Throwable e) {
        return refused != null ? refused : e;
    }

    /** Whether {@link #complete}, {@link #fail} or {@link #cancel} ended it. */
    public boolean ended() {
        return ended;
    }

    /**
     * Ends a transfer its client finished: an upload is published (durable, then renamed into place), and the
     * success row is committed with what {@code alsoInTransaction} writes. When publishing fails, the upload stays
     * resumable, a failed row says why, and the failure is thrown.
     *
     * @return the committed row
     */
    public TransferRecord complete(Consumer<TransferRecord> alsoInTransaction) throws IOException {
        return end(null, false, null, alsoInTransaction);
    }

    public TransferRecord complete() throws IOException {
        return complete(null);
    }

    /**
     * As {@link #complete(Consumer)} for a transfer that may have had nothing to send (a delivery already at the
     * partner): when no byte moved, the row carries {@code sha256}, the checksum known for the file (or none).
     */
    public TransferRecord completeUnchanged(String sha256, Consumer<TransferRecord> alsoInTransaction)
            throws IOException {
        return end(null, true, sha256, alsoInTransaction);
    }

    /**
     * Ends a transfer that broke ({@code cause}): an upload is kept, durable, for a resume (never published), and
     * the failed row says why (the storage's first refusal, when there was one). Throws only when the row cannot be
     * written (the database is away).
     */
    public TransferRecord fail(Throwable cause, Consumer<TransferRecord> alsoInTransaction) {
        try {
            return end(cause, false, null, alsoInTransaction);
        } catch (IOException cannot) {
            return null; // end() throws an IOException only for a failed completion, which a failure does not attempt
        }
    }

    public TransferRecord fail(Throwable cause) {
        return fail(cause, null);
    }

    private TransferRecord end(Throwable cause, boolean unchanged, String knownSha256,
            Consumer<TransferRecord> alsoInTransaction) throws IOException {
        if (ended) {
            throw new IllegalStateException("the transfer of " + path + " has ended already");
        }
        ended = true;
        Upload upload = content instanceof Upload u ? u : null;
        Throwable failure = cause == null && refused == null ? null : causeOf(cause);
        String sha256 = null;
        String whole = null;
        boolean toPublish = false;
        try {
            if (failure == null && upload != null) {
                // kept: a download of all of it need not hash; an upload written out of order is hashed by the
                // storage, since the hash of what was sent is not the file's
                whole = upload.prepare(tracker.wholeFileSha256(upload));
                toPublish = true;
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        try {
            if (whole != null) {
                sha256 = whole;
            } else if (upload != null && !tracker.sequential()) {
                sha256 = null; // out of order and not published: no checksum stands for the content
            } else {
                sha256 = unchanged && tracker.bytes() == 0 ? knownSha256 : tracker.sha256(content);
            }
        } catch (IOException | RuntimeException e) {
            // what moved is moved: the row goes without its checksum
            log.warn("Cannot hash {}: {}", LogText.escaped(path), TransferFailure.describe(e));
        }
        String readSha256 = null;
        try {
            readSha256 = readBack == null ? null : readBack.sha256(content);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot hash what was read back of {}: {}", LogText.escaped(path), TransferFailure.describe(e));
        }
        if (!toPublish) {
            release();
        }
        TransferFailure why = failure == null ? null : TransferFailure.of(failure).as(tracker.direction());
        // the storage's hash of an upload changed out of order is of the whole published file: from offset 0
        TransferRecord row = origin.stamp(tracker.toRecord(nodeId, origin.protocol(), origin.sessionId(),
                origin.account(), path, sha256, why == null ? null : why.logMessage(), origin.client(),
                whole != null ? 0 : tracker.startOffset()));
        // what the caller records with a success (a pull's "taken", a delivery's "done") never rides on a failure
        Consumer<TransferRecord> also = why != null && cause == null ? null : alsoInTransaction;
        // an upload is published inside the transaction of its row: a row that cannot be committed (the database is
        // away) leaves the upload unpublished, kept whole for a resume, and the client is told it failed
        // (the caller's own step first: a duplicate it refuses, a pull taken twice, must not replace the file)
        Consumer<TransferRecord> inTransaction = !toPublish ? also : saved -> {
            if (also != null) {
                also.accept(saved);
            }
            // an interrupt that came while the database was waited on must not cut the rename's directory fsync
            boolean interrupted = Thread.interrupted();
            try {
                upload.publish();
                publishedWithoutCommit = true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        TransferRecord saved;
        try {
            saved = uninterrupted(() -> inTransaction == null ? transferLog.record(row)
                    : transferLog.record(row, inTransaction));
        } catch (RuntimeException e) {
            log.warn("The transfer of {} by {} could not be recorded: {}", LogText.escaped(path),
                    LogText.quoted(origin.account()), e.toString());
            if (!toPublish) {
                throw e;
            }
            release(); // the upload's lock is not held through another wait on the database
            if (publishedWithoutCommit) {
                return publishedUnconfirmed(row, e);
            }
            return notPublished(e instanceof UncheckedIOException io ? io.getCause() : new TransferFailure.NotRecorded());
        } finally {
            if (toPublish) {
                release();
            }
        }
        logLine(why, sha256);
        recordReadBack(readSha256);
        if (why != null && cause == null) {
            throw failure instanceof IOException io ? io : new IOException(why.reason(), failure);
        }
        return saved;
    }

    /**
     * The rare case of a commit that failed after the rename (the connection lost between the two): the file is
     * published, so its success row is written again on its own (with its work items); if that fails too, the log
     * says the file is there without its row. The client is told the outcome could not be confirmed.
     */
    private TransferRecord publishedUnconfirmed(TransferRecord row, RuntimeException commit) throws IOException {
        log.warn("{} was published but its row was not committed ({}): recording it again", LogText.escaped(path),
                commit.toString());
        try {
            TransferRecord saved = uninterrupted(() -> transferLog.record(row));
            logLine(null, row.getSha256());
            return saved;
        } catch (RuntimeException again) {
            log.error("{} is published without its transfer-log row: {}", LogText.escaped(path), again.toString());
            throw new IOException("the upload was published, but its record could not be confirmed", commit);
        }
    }

    /**
     * An upload whose row and publication did not commit (the database refused the row, or the rename failed): not
     * published, its failed row written if the database takes it, and the failure thrown for the client.
     */
    private TransferRecord notPublished(Throwable why) throws IOException {
        TransferFailure failure = TransferFailure.of(why).as(tracker.direction());
        TransferRecord row = origin.stamp(tracker.toRecord(nodeId, origin.protocol(), origin.sessionId(),
                origin.account(), path, null, failure.logMessage(), origin.client()));
        try {
            uninterrupted(() -> transferLog.record(row));
        } catch (RuntimeException again) {
            log.warn("The failed transfer of {} could not be recorded either: {}", LogText.escaped(path),
                    again.toString());
        }
        logLine(failure, null);
        throw why instanceof IOException io ? io : new IOException(why);
    }

    /** The download row of what the client read back on the upload's handle, so no read escapes the log. */
    private void recordReadBack(String sha256) {
        if (readBack == null || readBack.bytes() == 0) {
            return;
        }
        TransferRecord row = origin.stamp(readBack.toRecord(nodeId, origin.protocol(), origin.sessionId(),
                origin.account(), path, sha256, null, origin.client()));
        try {
            uninterrupted(() -> transferLog.record(row));
        } catch (RuntimeException e) {
            log.warn("What {} read back of {} could not be recorded: {}", LogText.quoted(origin.account()),
                    LogText.escaped(path), e.toString());
        }
    }

    /**
     * Runs database work on a thread its protocol library may have interrupted (MINA interrupts an SFTP request
     * when the client hangs up): the interrupt waits until the work is done. A transfer that happened keeps its row,
     * and no shared resource sees the interrupt (an interrupted write closes an embedded database's file for good).
     */
    static <T> T uninterrupted(Supplier<T> work) {
        boolean interrupted = Thread.interrupted();
        try {
            return work.get();
        } finally {
            if (interrupted || Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void logLine(TransferFailure why, String sha256) {
        String by = LogText.quoted(origin.account()) + " over " + origin.protocol();
        if (why == null) {
            String done = switch (tracker.direction()) {
                case UPLOAD -> "Uploaded";
                case DOWNLOAD -> "Downloaded";
                case INBOUND -> "Took in";
                case OUTBOUND -> "Delivered";
            };
            log.info("{} {} of {} ({} bytes from offset {}, sha256 {})", done, LogText.escaped(path), by, tracker.bytes(),
                    tracker.startOffset(), sha256);
        } else {
            String verb = switch (tracker.direction()) {
                case UPLOAD -> "Upload";
                case DOWNLOAD -> "Download";
                case INBOUND -> "Intake";
                case OUTBOUND -> "Delivery";
            };
            log.warn("{} of {} of {} failed after {} bytes: {}", verb, LogText.escaped(path), by, tracker.bytes(),
                    why.logMessage());
        }
    }

    /**
     * Reads the content; on an upload (a read-write handle), reads back what is there, which the upload's row does
     * not count: it gets a download row of its own.
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        long position = content.position();
        int read;
        try {
            read = content.read(dst);
        } catch (IOException e) {
            throw refused(e);
        }
        if (read > 0) {
            ByteBuffer moved = dst.duplicate();
            moved.limit(dst.position()).position(dst.position() - read);
            if (content instanceof Upload) {
                if (readBack == null) {
                    readBack = new TransferTracker(Direction.DOWNLOAD);
                }
                readBack.moved(position, moved);
            } else {
                tracker.moved(position, moved);
            }
        }
        return read;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        long position = content.position();
        ByteBuffer moved = src.duplicate();
        int written;
        try {
            written = content.write(src);
        } catch (IOException e) {
            throw refused(e);
        }
        if (written > 0) {
            moved.limit(moved.position() + written);
            tracker.moved(position, moved);
        }
        return written;
    }

    private IOException refused(IOException e) {
        if (refused == null) {
            refused = e;
        }
        return e;
    }

    @Override
    public long position() throws IOException {
        return content.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        content.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return content.size();
    }

    /**
     * {@code fsync}: an upload's bytes so far are forced to stable storage (a resume after a crash starts at least
     * there); nothing for a download.
     */
    public void sync() throws IOException {
        if (content instanceof Upload upload) {
            try {
                upload.sync();
            } catch (IOException e) {
                throw refused(e);
            }
        }
    }

    /** For an upload, as POSIX {@code ftruncate} ({@link Upload#truncate}). */
    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        try {
            content.truncate(size);
        } catch (IOException e) {
            throw refused(e);
        }
        return this;
    }

    @Override
    public boolean isOpen() {
        return !ended && content.isOpen();
    }

    /** Closing without {@link #complete} is a failure: the transfer did not finish. */
    @Override
    public void close() {
        if (!ended) {
            fail(new IOException("closed before the transfer ended"));
        }
    }
}
