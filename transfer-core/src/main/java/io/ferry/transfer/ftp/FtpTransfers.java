package io.ferry.transfer.ftp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;

import javax.net.ssl.SSLSession;

import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.impl.FtpServerContext;
import org.apache.ftpserver.impl.IODataConnectionFactory;
import org.apache.mina.filter.ssl.SslFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.storage.QuotaExceededException;
import io.ferry.storage.StorageUnavailableException;
import io.ferry.storage.StoredContent;
import io.ferry.storage.Upload;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.log.Direction;
import io.ferry.transfer.log.Outcome;
import io.ferry.transfer.log.TransferLog;
import io.ferry.transfer.log.TransferTracker;

/**
 * STOR, APPE and RETR on the storage SPI and the transfer log, replacing FtpServer's own (which close an upload the
 * same way whether it finished or broke). An upload is published ({@link Upload#complete()}: fsync, rename, fsync
 * of the directory) and its log row committed before the client gets {@code 226}; a broken one stays a resumable
 * partial upload (SIZE shows its length; REST + STOR or APPE continues it) and gets {@code 426}, {@code 451} or
 * {@code 552}.
 */
final class FtpTransfers {

    private static final Logger log = LoggerFactory.getLogger(FtpTransfers.class);
    private static final int BUFFER = 256 * 1024;

    private final TransferLog transferLog;
    private final String nodeId;

    FtpTransfers(TransferLog transferLog, String nodeId) {
        this.transferLog = transferLog;
        this.nodeId = nodeId;
    }

    Command stor() {
        return (session, context, request) -> upload(session, request, false);
    }

    Command appe() {
        return (session, context, request) -> upload(session, request, true);
    }

    Command retr() {
        return (session, context, request) -> download(session, request);
    }

    private void upload(FtpIoSession session, FtpRequest request, boolean append) throws IOException {
        try {
            long offset = session.getFileOffset();
            String name = request.getArgument();
            if (name == null || name.isBlank()) {
                reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS,
                        "Syntax: " + request.getCommand() + " <file name>");
                return;
            }
            if (!dataConnectionPrepared(session)) {
                return;
            }
            FerryFtpFile file = ((FerryFileSystemView) session.getFileSystemView()).getFile(name);
            if (file.stored() == null) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not allowed (outside your "
                        + "home or a name reserved by the server)");
                return;
            }
            if (!file.account().may(Permission.WRITE)) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": permission denied");
                return;
            }
            if (file.isDirectory()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": is a directory");
                return;
            }
            Upload upload;
            try {
                upload = file.store().openUpload(file.stored(), !append && offset == 0, false);
            } catch (IOException e) {
                replyStorageError(session, name, e);
                return;
            }
            if (offset != 0 && upload.startSize() != offset) {
                upload.abandon();
                reply(session, 554, "Cannot resume "
                        + name + " at " + offset + ": the server holds " + upload.startSize() + " bytes of it");
                return;
            }
            TransferTracker tracker = new TransferTracker(Direction.UPLOAD);
            DataConnection data = openData(session, file);
            if (data == null) {
                upload.abandon();
                return;
            }
            Result result = Result.OK;
            UploadStream stream = new UploadStream(upload, tracker);
            try {
                OutputStream out = new BufferedOutputStream(stream, BUFFER);
                try {
                    data.transferFromClient(session.getFtpletSession(), out);
                    out.flush();
                } catch (IOException e) {
                    // FtpServer flushes again while closing; the storage's first refusal is the cause that matters
                    throw stream.failure != null ? stream.failure : e;
                }
                if (!session.isConnected() || session.isClosing()) {
                    // stream mode ends an upload by closing the data connection; a client that died closes both
                    throw new SocketException("the control connection closed with the data connection");
                }
                upload.complete(tracker.wholeFileSha256(upload)); // a download of all of it need not hash it again
            } catch (IOException | RuntimeException e) {
                result = Result.of(e, "resume with REST or APPE");
            } finally {
                try {
                    upload.abandon(); // no-op after complete(); keeps a broken upload resumable
                } catch (IOException e) {
                    log.warn("Closing the upload of {} failed: {}", file.getAbsolutePath(), e.getMessage());
                }
            }
            record(session, file, tracker, result.error, null);
            reply(session, result.code, result.message);
        } finally {
            session.resetState();
            session.getDataConnection().closeDataConnection();
        }
    }

    private void download(FtpIoSession session, FtpRequest request) {
        try {
            long offset = session.getFileOffset();
            String name = request.getArgument();
            if (name == null || name.isBlank()) {
                reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS, "Syntax: RETR <file name>");
                return;
            }
            if (!dataConnectionPrepared(session)) {
                return;
            }
            FerryFtpFile file = ((FerryFileSystemView) session.getFileSystemView()).getFile(name);
            if (refusedRead(session, file, name)) {
                return;
            }
            StoredContent channel;
            TransferTracker tracker;
            try {
                channel = file.store().openRead(file.stored());
            } catch (IOException e) {
                replyStorageError(session, name, e);
                return;
            }
            try {
                if (offset > channel.size()) {
                    long size = channel.size();
                    channel.close();
                    reply(session, 554,
                            "REST " + offset + " is beyond the end of " + name + " (" + size + " bytes)");
                    return;
                }
                channel.position(offset);
                tracker = TransferTracker.reading(Direction.DOWNLOAD, channel);
            } catch (IOException e) {
                try {
                    channel.close();
                } catch (IOException closing) {
                    e.addSuppressed(closing);
                }
                replyStorageError(session, name, e);
                return;
            }
            Result result = Result.OK;
            try (channel) {
                DataConnection data = openData(session, file);
                if (data == null) {
                    return;
                }
                try {
                    data.transferToClient(session.getFtpletSession(),
                            new BufferedInputStream(new DownloadStream(channel, tracker), BUFFER));
                } catch (IOException | RuntimeException e) {
                    result = Result.of(e, "resume with REST");
                }
                record(session, file, tracker, result.error, channel);
            } catch (IOException e) {
                log.warn("Closing {} failed: {}", file.getAbsolutePath(), e.getMessage());
            }
            reply(session, result.code, result.message);
        } finally {
            session.resetState();
            session.getDataConnection().closeDataConnection();
        }
    }

    /**
     * Refuses ({@code 550}) reading a file that is missing, still being uploaded, not a file, or not readable by the
     * account: the checks of RETR and of HASH.
     *
     * @return whether it refused
     */
    static boolean refusedRead(FtpIoSession session, FerryFtpFile file, String name) {
        if (!file.doesExist() || file.isPendingUpload()) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": no such file");
        } else if (!file.isFile()) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not a file");
        } else if (!file.account().may(Permission.READ)) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": permission denied");
        } else {
            return false;
        }
        return true;
    }

    /** How a transfer ended: the log row's error (null on success) and the reply. */
    private record Result(String error, int code, String message) {

        static final Result OK = new Result(null, FtpReply.REPLY_226_CLOSING_DATA_CONNECTION, "Transfer complete");

        static Result of(Exception e, String resumeHint) {
            if (e instanceof QuotaExceededException) {
                return new Result("quota exceeded: " + e.getMessage(),
                        FtpReply.REPLY_552_REQUESTED_FILE_ACTION_ABORTED_EXCEEDED_STORAGE, "Quota exceeded: " + e.getMessage());
            }
            if (e instanceof StorageUnavailableException) {
                return new Result("storage unavailable: " + e.getMessage(), FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED,
                        "Storage unavailable; try again later (" + resumeHint + ")");
            }
            if (e instanceof java.net.SocketTimeoutException) {
                return new Result("data connection timed out: " + e.getMessage(),
                        FtpReply.REPLY_426_CONNECTION_CLOSED_TRANSFER_ABORTED,
                        "Data connection idle for too long; transfer aborted (" + resumeHint + ")");
            }
            if (e instanceof SocketException) {
                return new Result("data connection lost: " + e.getMessage(),
                        FtpReply.REPLY_426_CONNECTION_CLOSED_TRANSFER_ABORTED,
                        "Connection closed; transfer aborted (" + resumeHint + ")");
            }
            return new Result("storage error: " + e.getMessage(), FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED,
                    "Transfer failed: " + e.getMessage());
        }
    }

    /** Announces the transfer ({@code 150}) and opens its data connection; null (after {@code 425}) if it fails. */
    private static DataConnection openData(FtpIoSession session, FerryFtpFile file) {
        session.write(new DefaultFtpReply(FtpReply.REPLY_150_FILE_STATUS_OKAY,
                "Opening data connection for " + file.getAbsolutePath())).awaitUninterruptibly(10_000);
        try {
            return session.getDataConnection().openConnection();
        } catch (Exception e) {
            reply(session, FtpReply.REPLY_425_CANT_OPEN_DATA_CONNECTION, "Cannot open the data connection");
            return null;
        }
    }

    private static boolean dataConnectionPrepared(FtpIoSession session) {
        if (session.getDataConnection() instanceof IODataConnectionFactory factory && factory.getInetAddress() == null) {
            reply(session, FtpReply.REPLY_503_BAD_SEQUENCE_OF_COMMANDS, "PASV or EPSV (or PORT) must come first");
            return false;
        }
        return true;
    }

    /** A refusal before any byte moved: not allowed, missing, or what {@link Result#of} says of the storage. */
    private static void replyStorageError(FtpIoSession session, String name, IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not allowed");
        } else if (e instanceof java.nio.file.NoSuchFileException) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": no such file or directory");
        } else {
            Result result = Result.of(e, "try again");
            reply(session, result.code, result.message);
        }
    }

    /** One row per transfer, committed before the client hears the outcome. */
    private void record(FtpIoSession session, FerryFtpFile file, TransferTracker tracker, String error,
            SeekableByteChannel content) {
        String sha256 = null;
        try {
            sha256 = tracker.sha256(content);
        } catch (IOException e) {
            log.warn("Cannot hash {}: {}", file.getAbsolutePath(), e.getMessage());
        }
        SSLSession tls = (SSLSession) session.getAttribute(SslFilter.SSL_SECURED);
        String client = session.getRemoteAddress() instanceof InetSocketAddress address
                ? address.getAddress().getHostAddress() : String.valueOf(session.getRemoteAddress());
        Outcome outcome = error == null ? Outcome.SUCCESS : Outcome.FAILED;
        transferLog.record(tracker.toRecord(nodeId, tls == null ? "ftp" : "ftps", FtpsServer.sessionId(session),
                file.account().getName(), file.getAbsolutePath(), sha256, error, client)
                .withTls(tls == null ? null : tls.getProtocol() + " " + tls.getCipherSuite()));
        String verb = tracker.direction() == Direction.UPLOAD ? "Upload" : "Download";
        if (outcome == Outcome.SUCCESS) {
            log.info("{} of {} by {} over FTP{}: {} bytes from offset {}, sha256 {}", verb, file.getAbsolutePath(),
                    file.account().getName(), tls == null ? "" : "S", tracker.bytes(), tracker.startOffset(), sha256);
        } else {
            log.warn("{} of {} by {} failed after {} bytes: {}", verb, file.getAbsolutePath(),
                    file.account().getName(), tracker.bytes(), error);
        }
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }

    /** The upload's bytes, counted and hashed as they pass. */
    private static final class UploadStream extends OutputStream {
        private final Upload upload;
        private final TransferTracker tracker;
        /** The storage's first refusal; nothing is written after it. */
        private IOException failure;

        UploadStream(Upload upload, TransferTracker tracker) {
            this.upload = upload;
            this.tracker = tracker;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (failure != null) {
                throw failure;
            }
            long position = upload.position();
            ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
            try {
                while (buffer.hasRemaining()) {
                    upload.write(buffer);
                }
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            tracker.moved(position, ByteBuffer.wrap(b, off, len));
        }
    }

    /** The file's bytes from the REST offset, counted and hashed as they pass. */
    private static final class DownloadStream extends InputStream {
        private final SeekableByteChannel channel;
        private final TransferTracker tracker;

        DownloadStream(SeekableByteChannel channel, TransferTracker tracker) {
            this.channel = channel;
            this.tracker = tracker;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            long position = channel.position();
            int n = channel.read(ByteBuffer.wrap(b, off, len));
            if (n > 0) {
                tracker.moved(position, ByteBuffer.wrap(b, off, n));
            }
            return n;
        }
    }
}
