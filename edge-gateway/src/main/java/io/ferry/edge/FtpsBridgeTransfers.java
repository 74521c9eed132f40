package io.ferry.edge;

import java.io.IOException;
import java.net.SocketException;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;

import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.sshd.sftp.client.SftpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.FailureKind;
import io.ferry.common.FtpReplies;
import io.ferry.common.LogText;
import io.ferry.common.ftp.FtpsCommands;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The edge's FTPS transfers, bridged onto SFTP, for {@link EdgeFtpsServer}: its own STOR, APPE and RETR, each on an
 * SFTP channel of its own on the partner's file session on its node, answered with the reply the node's own FTPS
 * would give. An upload that ends well closes its file on the node, which publishes it and logs it before the partner
 * hears {@code 226}; one that breaks is dropped with its SFTP channel, never closed, so the node keeps it as a partial
 * upload that REST + STOR or APPE resumes. The bytes relayed either way are counted in {@code ferry.edge.bytes}.
 */
final class FtpsBridgeTransfers {

    private static final Logger log = LoggerFactory.getLogger(FtpsBridgeTransfers.class);

    private final Counter uploaded;
    private final Counter downloaded;
    private final Timer failovers;
    private final EdgeProperties.Failover failover;

    FtpsBridgeTransfers(MeterRegistry meters, EdgeProperties.Failover failover) {
        this.failover = failover;
        this.failovers = Timer.builder("ferry.edge.failovers").tag("protocol", "ftps")
                .description("transfers carried over to another node when theirs died, and the pause each took")
                .register(meters);
        this.uploaded = Counter.builder("ferry.edge.bytes").tag("protocol", "ftps").tag("direction", "upload")
                .baseUnit("bytes").description("bytes relayed from partners to nodes").register(meters);
        this.downloaded = Counter.builder("ferry.edge.bytes").tag("protocol", "ftps").tag("direction", "download")
                .baseUnit("bytes").description("bytes relayed from nodes to partners").register(meters);
    }

    /**
     * STOR, or with {@code append} APPE: the upload onto the node, where {@link FtpsCommands.UploadStart} says (REST's
     * offset over what the node holds, or for APPE after it), as the node's own FTPS does.
     */
    void upload(FtpIoSession session, FtpRequest request, boolean append) {
        SftpClient channel = null;
        boolean closed = false;
        try {
            String name = FtpsCommands.transferTarget(session, request);
            if (name == null) {
                return;
            }
            long offset = session.getFileOffset();
            SftpView view = (SftpView) session.getFileSystemView();
            SftpView.File file = view.getFile(name);
            if (file.isDirectory()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": is a directory");
                return;
            }
            // what the node holds: the file, or for an upload that broke, its resumable part (stat shows it)
            SftpClient.Attributes held;
            try {
                held = file.attributesOrFail();
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, name + ": " + describe(e));
                return;
            }
            long have = held == null ? 0 : held.getSize();
            FtpsCommands.UploadStart upload = FtpsCommands.UploadStart.of(append, offset);
            long start = upload.at(have);
            channel = view.transferChannel();
            EnumSet<SftpClient.OpenMode> modes = EnumSet.of(SftpClient.OpenMode.Write, SftpClient.OpenMode.Create);
            // without TRUNC the node continues what it holds (and writes at the offset); STOR from 0 and a new file
            // start afresh
            if (held == null || upload.replace()) {
                modes.add(SftpClient.OpenMode.Truncate);
            } else if (append) {
                // at the end of what the node's upload holds, which the node knows (a broken upload beside the
                // file is what it continues, not the file the stat above described)
                modes.add(SftpClient.OpenMode.Append);
            }
            SftpClient.CloseableHandle handle;
            try {
                handle = channel.open(file.path(), modes);
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": " + describe(e));
                return;
            }
            DataConnection data = FtpsCommands.openData(session, file.path());
            if (data == null) {
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            BridgedUpload out = new BridgedUpload(view, file.path(), channel, handle, start,
                    modes.contains(SftpClient.OpenMode.Truncate), failover);
            try {
                data.transferFromClient(session.getFtpletSession(), new Counting.Out(out, uploaded));
                out.flush(); // every write acknowledged by the node; the file is still open
                if (!session.isConnected() || session.isClosing()) {
                    // stream mode ends an upload by closing the data connection; a client that died closes both
                    throw new SocketException("the control connection closed with the data connection");
                }
                out.complete(); // the node publishes the file and logs it, then answers
                closed = true;
            } catch (IOException | RuntimeException e) {
                result = replyFor(e, "resume with REST or APPE");
                log.info("Upload of {} for {} broke: {}", file.path(), session.getUser().getName(), describe(e));
            }
            channel = out.channel(); // another after a failover
            if (out.failedOver()) {
                failovers.record(out.pauseMillis(), TimeUnit.MILLISECONDS);
                log.info("Upload of {} for {} carried over to another node; it waited {} ms",
                        LogText.escaped(file.path()), LogText.quoted(session.getUser().getName()), out.pauseMillis());
            }
            reply(session, result.code(), result.message());
        } catch (IOException e) {
            reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, "The transfer node is unavailable");
        } finally {
            finish(session, channel, closed);
        }
    }

    /** RETR: the download from the node, from REST's offset. */
    void download(FtpIoSession session, FtpRequest request) {
        SftpClient channel = null;
        try {
            String name = FtpsCommands.transferTarget(session, request);
            if (name == null) {
                return;
            }
            long offset = session.getFileOffset();
            SftpView view = (SftpView) session.getFileSystemView();
            SftpView.File file = view.getFile(name);
            if (!file.doesExist()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": no such file");
                return;
            }
            if (!file.isFile()) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": not a file");
                return;
            }
            long size = file.getSize();
            if (offset > size) {
                reply(session, 554, "REST " + offset + " is beyond the end of " + name + " (" + size + " bytes)");
                return;
            }
            channel = view.transferChannel();
            SftpClient.CloseableHandle handle;
            try {
                handle = channel.open(file.path(), EnumSet.of(SftpClient.OpenMode.Read));
            } catch (IOException e) {
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, name + ": " + describe(e));
                return;
            }
            DataConnection data = FtpsCommands.openData(session, file.path());
            if (data == null) {
                return;
            }
            FtpReplies result = FtpReplies.COMPLETE;
            BridgedDownload in = new BridgedDownload(view, file.path(), size, channel, handle, offset);
            try (in) {
                data.transferToClient(session.getFtpletSession(), new Counting.In(in, downloaded));
                in.channel().close(in.handle()); // the node logs the download
            } catch (IOException | RuntimeException e) {
                result = replyFor(e, "resume with REST");
            }
            channel = in.channel();
            if (in.failedOver()) {
                failovers.record(in.pauseMillis(), TimeUnit.MILLISECONDS);
                log.info("Download of {} for {} carried over to another node; it waited {} ms",
                        LogText.escaped(file.path()), LogText.quoted(session.getUser().getName()), in.pauseMillis());
            }
            reply(session, result.code(), result.message());
        } catch (IOException e) {
            reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, "The transfer node is unavailable");
        } finally {
            finish(session, channel, true);
        }
    }

    /**
     * Ends a transfer's SFTP channel: closed normally after a transfer that went well, dropped at once otherwise,
     * with its file still open, so the node treats it as interrupted (a partial upload it keeps for a resume).
     */
    private static void finish(FtpIoSession session, SftpClient channel, boolean normally) {
        session.resetState();
        session.getDataConnection().closeDataConnection();
        if (channel == null) {
            return;
        }
        if (normally) {
            try {
                channel.close();
            } catch (IOException e) {
                channel.getChannel().close(true);
            }
        } else {
            channel.getChannel().close(true);
        }
    }

    /**
     * The reply for a transfer the node or the data connection broke: as the node's own FTPS would give it, the kind
     * read from the node's words (its SFTP status) when the node refused.
     */
    private static FtpReplies replyFor(Throwable e, String resumeHint) {
        FailureKind connection = FailureKind.ofConnection(e);
        return FtpReplies.of(connection != null ? connection : FailureKind.fromWords(describe(e)), describe(e),
                resumeHint);
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }
}
