package io.ferry.transfer.session;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.FileStore;
import io.ferry.storage.StoredContent;
import io.ferry.storage.Upload;
import io.ferry.transfer.account.LiveAccount;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferRecord;
import io.ferry.transfer.log.TransferTracker;

/**
 * Opens every {@link Transfer} of this node: a partner's upload or download (its permission checked first, so a
 * refused transfer touches nothing), and Ferry's own intake into an account and delivery from one. The one place
 * that pairs a storage channel with its tracker and its transfer-log row.
 */
public final class Transfers {

    private static final Logger log = LoggerFactory.getLogger(Transfers.class);

    private final TransferLog transferLog;
    private final String nodeId;

    public Transfers(TransferLog transferLog, String nodeId) {
        this.transferLog = transferLog;
        this.nodeId = nodeId;
    }

    /**
     * A partner's upload to {@code path} (as {@link FileStore#resolve} answered it), needing the write permission.
     *
     * @param clientPath the path as the client named it (a pending upload's stored name mapped back)
     * @see FileStore#openUpload(Path, boolean, boolean)
     */
    public Transfer upload(LiveAccount account, Path path, String clientPath, boolean truncate, boolean exclusive,
            TransferOrigin origin) throws IOException {
        return upload(account, path, clientPath, truncate, exclusive, origin, false);
    }

    /**
     * As {@link #upload(LiveAccount, Path, String, boolean, boolean, TransferOrigin)}; {@code carriedOver}: the
     * session was carried over from a node that died (issue 23), and a resumed upload's row stands for the whole file
     * ({@link Upload#hashWhole}).
     */
    public Transfer upload(LiveAccount account, Path path, String clientPath, boolean truncate, boolean exclusive,
            TransferOrigin origin, boolean carriedOver) throws IOException {
        PartnerFiles.require(account, Permission.WRITE, clientPath);
        Upload upload = account.store().openUpload(path, truncate, exclusive);
        if (carriedOver) {
            upload.hashWhole();
        }
        return new Transfer(transferLog, nodeId, upload, new TransferTracker(Direction.UPLOAD), clientPath, origin);
    }

    /** A partner's download of {@code path}, needing the read permission, positioned at {@code offset}. */
    public Transfer download(LiveAccount account, Path path, String clientPath, long offset, TransferOrigin origin)
            throws IOException {
        PartnerFiles.require(account, Permission.READ, clientPath);
        return reading(account.store(), path, clientPath, offset, Direction.DOWNLOAD, origin);
    }

    /** Ferry's own upload into an account (a pull, a copy, a monitored folder): no partner permission applies. */
    public Transfer intake(FileStore store, Path path, String clientPath, TransferOrigin origin) throws IOException {
        Upload upload = store.openUpload(path, true, false);
        return new Transfer(transferLog, nodeId, upload, new TransferTracker(Direction.INBOUND), clientPath, origin);
    }

    /** Ferry's own read of an account's file to send it to a partner. */
    public Transfer delivery(FileStore store, Path path, String clientPath, TransferOrigin origin)
            throws IOException {
        return reading(store, path, clientPath, 0, Direction.OUTBOUND, origin);
    }

    private Transfer reading(FileStore store, Path path, String clientPath, long offset, Direction direction,
            TransferOrigin origin) throws IOException {
        StoredContent content = store.openRead(path);
        try {
            if (offset > content.size()) {
                throw new BeyondTheEnd(offset, content.size());
            }
            content.position(offset);
            return new Transfer(transferLog, nodeId, content, TransferTracker.reading(direction, content),
                    clientPath, origin);
        } catch (IOException | RuntimeException e) {
            try {
                content.close();
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    /**
     * A failed row for a transfer that never opened (the partner unreachable, the source gone): Ferry's own work
     * logs every attempt. Never throws; the row is null if it could not be written.
     */
    public TransferRecord failedBeforeOpening(Direction direction, String clientPath, TransferOrigin origin,
            Throwable cause) {
        try {
            return failedBeforeOpening(direction, clientPath, origin, cause, null);
        } catch (RuntimeException e) {
            log.warn("Could not log the failed {} of {}: {}", direction, clientPath, e.toString());
            return null;
        }
    }

    /**
     * As {@link #failedBeforeOpening(Direction, String, TransferOrigin, Throwable)}, committing what
     * {@code alsoInTransaction} writes with the row (a work item's new state); throws if the row cannot be written.
     */
    public TransferRecord failedBeforeOpening(Direction direction, String clientPath, TransferOrigin origin,
            Throwable cause, Consumer<TransferRecord> alsoInTransaction) {
        TransferRecord row = origin.stamp(new TransferTracker(direction).toRecord(nodeId, origin.protocol(),
                origin.sessionId(), origin.account(), clientPath, null,
                TransferFailure.of(cause).as(direction).logMessage(), origin.client()));
        return Transfer.uninterrupted(() -> alsoInTransaction == null ? transferLog.record(row)
                : transferLog.record(row, alsoInTransaction));
    }

    /** A download asked to start past the file's end (FTP's REST beyond the size). */
    public static final class BeyondTheEnd extends IOException {
        private final long size;

        BeyondTheEnd(long offset, long size) {
            super("offset " + offset + " is beyond the end of the file (" + size + " bytes)");
            this.size = size;
        }

        public long size() {
            return size;
        }
    }
}
