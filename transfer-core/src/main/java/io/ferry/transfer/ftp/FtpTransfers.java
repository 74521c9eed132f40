package io.ferry.transfer.ftp;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.channels.Channels;

import javax.net.ssl.SSLSession;

import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.mina.filter.ssl.SslFilter;

import io.ferry.common.FtpReplies;
import io.ferry.common.ftp.FtpsCommands;
import io.ferry.storage.Upload;
import io.ferry.transfer.account.Permission;
import io.ferry.transfer.session.Transfer;
import io.ferry.transfer.session.TransferFailure;
import io.ferry.transfer.session.TransferOrigin;
import io.ferry.transfer.session.Transfers;

/**
 * STOR, APPE and RETR as {@link Transfer}s, replacing FtpServer's own (which close an upload the same way whether it
 * finished or broke). An upload is published ({@link Upload#complete()}: fsync, rename, fsync
 * of the directory) and its log row committed before the client gets {@code 226}; a broken one stays a resumable
 * partial upload (SIZE shows its length; REST + STOR or APPE continues it) and gets {@code 426}, {@code 451} or
 * {@code 552}. Where each upload command writes is {@link FtpsCommands.UploadStart}'s rule, the edge's too.
 */
final class FtpTransfers {

    private static final int BUFFER = 256 * 1024;

    private final Transfers transfers;

    FtpTransfers(Transfers transfers) {
        this.transfers = transfers;
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
            String name = FtpsCommands.transferTarget(session, request);
            if (name == null) {
                return;
            }
            FerryFtpFile file = ((FerryFileSystemView) session.getFileSystemView()).getFile(name);
            if (file.stored() == null) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not allowed (outside your "
                        + "home or a name reserved by the server)");
                return;
            }
            if (file.isDirectory()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": is a directory");
                return;
            }
            FtpsCommands.UploadStart start = FtpsCommands.UploadStart.of(append, offset);
            Transfer transfer;
            try {
                transfer = transfers.upload(file.account().live(), file.stored(), file.getAbsolutePath(),
                        start.replace(), false, origin(session, file));
                long at = start.at(transfer.startSize());
                if (at != transfer.startSize()) {
                    transfer.position(at); // REST n + STOR writes at n, over what the server holds
                }
            } catch (IOException e) {
                replyStorageError(session, name, e);
                return;
            }
            DataConnection data = FtpsCommands.openData(session, file.getAbsolutePath());
            if (data == null) {
                transfer.cancel();
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            try {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(transfer), BUFFER);
                data.transferFromClient(session.getFtpletSession(), out);
                out.flush();
                if (!session.isConnected() || session.isClosing()) {
                    // stream mode ends an upload by closing the data connection; a client that died closes both
                    throw new SocketException("the control connection closed with the data connection");
                }
                transfer.complete();
            } catch (IOException | RuntimeException e) {
                // FtpServer flushes again while closing: the storage's first refusal is the cause that matters
                Throwable why = transfer.causeOf(e);
                failQuietly(transfer, why); // kept for a resume; its row says why
                result = replyFor(why, "resume with REST or APPE");
            }
            reply(session, result.code(), result.message());
        } finally {
            session.resetState();
            session.getDataConnection().closeDataConnection();
        }
    }

    private void download(FtpIoSession session, FtpRequest request) {
        try {
            long offset = session.getFileOffset();
            String name = FtpsCommands.transferTarget(session, request);
            if (name == null) {
                return;
            }
            FerryFtpFile file = ((FerryFileSystemView) session.getFileSystemView()).getFile(name);
            if (refusedRead(session, file, name)) {
                return;
            }
            Transfer transfer;
            try {
                transfer = transfers.download(file.account().live(), file.stored(), file.getAbsolutePath(), offset,
                        origin(session, file));
            } catch (Transfers.BeyondTheEnd beyond) {
                reply(session, 554, "REST " + offset + " is beyond the end of " + name + " (" + beyond.size()
                        + " bytes)");
                return;
            } catch (IOException e) {
                replyStorageError(session, name, e);
                return;
            }
            DataConnection data = FtpsCommands.openData(session, file.getAbsolutePath());
            if (data == null) {
                transfer.cancel();
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            try {
                data.transferToClient(session.getFtpletSession(),
                        new BufferedInputStream(Channels.newInputStream(transfer), BUFFER));
                transfer.complete();
            } catch (IOException | RuntimeException e) {
                Throwable why = transfer.causeOf(e);
                failQuietly(transfer, why);
                result = replyFor(why, "resume with REST");
            }
            reply(session, result.code(), result.message());
        } finally {
            session.resetState();
            session.getDataConnection().closeDataConnection();
        }
    }

    /** The reply for a transfer that failed with {@code e}. */
    private static FtpReplies replyFor(Throwable e, String resumeHint) {
        TransferFailure why = TransferFailure.of(e);
        return FtpReplies.of(why.kind(), why.reason(), resumeHint);
    }

    /** Ends a broken transfer; the client hears of its failure even when the row cannot be written. */
    private static void failQuietly(Transfer transfer, Throwable e) {
        if (!transfer.ended()) {
            try {
                transfer.fail(e);
            } catch (RuntimeException logging) {
                e.addSuppressed(logging);
            }
        }
    }

    /** Who moves the file, for the transfer log: the FTP session, its client and its TLS. */
    private static TransferOrigin origin(FtpIoSession session, FerryFtpFile file) {
        SSLSession tls = (SSLSession) session.getAttribute(SslFilter.SSL_SECURED);
        String client = session.getRemoteAddress() instanceof InetSocketAddress address
                ? address.getAddress().getHostAddress() : String.valueOf(session.getRemoteAddress());
        return new TransferOrigin(tls == null ? "ftp" : "ftps", FtpsServer.sessionId(session),
                file.account().getName(), client, null, tls == null ? null : tls.getProtocol() + " "
                        + tls.getCipherSuite());
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

    /** A refusal before any byte moved: not allowed, missing, or what {@link #replyFor} says of the storage. */
    private static void replyStorageError(FtpIoSession session, String name, IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException denied) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": permission denied ("
                    + (denied.getReason() == null ? "not allowed" : denied.getReason()) + ")");
        } else if (e instanceof java.nio.file.NoSuchFileException) {
            reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": no such file or directory");
        } else {
            FtpReplies result = replyFor(e, "try again");
            reply(session, result.code(), result.message());
        }
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }
}
