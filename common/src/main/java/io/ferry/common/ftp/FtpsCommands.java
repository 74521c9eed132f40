package io.ferry.common.ftp;

import java.util.regex.Pattern;

import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.command.CommandFactory;
import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpFile;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.DefaultFtpRequest;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.impl.IODataConnectionFactory;
import org.apache.mina.transport.socket.SocketSessionConfig;

/**
 * The FTPS rules every FTPS door keeps around FtpServer's commands, on a node and at the edge alike: a login only
 * over TLS, transfers and listings only on protected data connections, no {@code STOU}, and replies sent without
 * Nagle's delay. (A login within the authentication timeout is {@link LoginDeadline}'s.)
 */
public final class FtpsCommands {

    private static final String NO_DELAY = FtpsCommands.class.getName() + ".noDelay";

    private FtpsCommands() {
    }

    /**
     * Every command of {@code commands} with Nagle's algorithm turned off on the control connection first (FtpServer
     * leaves it on): with it on, a reply written while the previous one is still unacknowledged waits for the
     * client's delayed ACK; every transfer's {@code 226}, which follows its {@code 150}, came about 40 ms late, and a
     * session of small files ran at 20 files a second.
     */
    public static CommandFactory noDelay(CommandFactory commands) {
        return name -> {
            Command command = commands.getCommand(name);
            return command == null ? null : (session, context, request) -> {
                if (session.getAttribute(NO_DELAY) == null
                        && session.getConfig() instanceof SocketSessionConfig socket) {
                    socket.setTcpNoDelay(true);
                    session.setAttribute(NO_DELAY, Boolean.TRUE);
                }
                command.execute(session, context, request);
            };
        };
    }

    /**
     * {@code USER} or {@code PASS}, refused with {@code 530} before {@code AUTH TLS} unless plain FTP is allowed;
     * while it runs, {@link LoginDeadline} lets the session be (a login a node is checking finishes first).
     */
    public static Command loginNeedsTls(boolean allowPlain, Command command) {
        return (session, context, request) -> {
            if (!allowPlain && !session.isSecure()) {
                reply(session, FtpReply.REPLY_530_NOT_LOGGED_IN,
                        "This server requires TLS: send AUTH TLS before logging in");
                return;
            }
            session.setAttribute(LoginDeadline.LOGGING_IN, Boolean.TRUE);
            try {
                command.execute(session, context, request);
            } finally {
                session.removeAttribute(LoginDeadline.LOGGING_IN);
            }
        };
    }

    /**
     * A transfer or listing, refused with {@code 521} on a secure control connection whose data connections are not
     * protected ({@code PROT P}), when protection is required.
     */
    public static Command dataNeedsProtection(boolean required, Command command) {
        return (session, context, request) -> {
            if (required && session.isSecure() && !session.getDataConnection().isSecure()) {
                session.resetState();
                reply(session, 521, "Data connections must be protected: send PBSZ 0 and PROT P first");
                return;
            }
            command.execute(session, context, request);
        };
    }

    /**
     * Where an upload command writes, as vsftpd does it: {@code STOR} without {@code REST} replaces the file;
     * {@code REST n} + {@code STOR} continues what the server holds (the file, or an upload that broke) and writes at
     * {@code n} over it, nothing after the written bytes cut, a gap past the end read as zeros; {@code APPE} writes
     * after what the server holds.
     *
     * @param replace start from nothing (SFTP's TRUNC)
     * @param offset  where the first byte goes; -1 for the end of what the server holds
     */
    public record UploadStart(boolean replace, long offset) {

        public static UploadStart of(boolean append, long restOffset) {
            if (append) {
                return new UploadStart(false, -1);
            }
            return new UploadStart(restOffset == 0, restOffset);
        }

        /** The offset the first byte goes to, given the bytes the server holds of the file. */
        public long at(long held) {
            return offset < 0 ? held : offset;
        }
    }

    /**
     * {@code MDTM} that also sets the time in its two-argument form, {@code MDTM YYYYMMDDHHMMSS[.sss] file} (vsftpd's
     * {@code mdtm_write}, which lftp and others use where {@code MFMT} is missing), as {@code mfmt} sets it; the
     * one-argument form asks, as {@code mdtm} answers.
     */
    public static Command mdtmThatSets(Command mdtm, Command mfmt) {
        return (session, context, request) -> {
            String argument = request.getArgument();
            if (argument != null && SET_TIME.matcher(argument).matches()) {
                // MFMT takes whole seconds
                mfmt.execute(session, context, new DefaultFtpRequest("MFMT "
                        + argument.replaceFirst("^(\\d{14})\\.\\d{1,3} ", "$1 ")));
                return;
            }
            mdtm.execute(session, context, request);
        };
    }

    /**
     * {@code MLSD} of a directory that does not exist: {@code 550} before any data connection, as RFC 3659 has it
     * (FtpServer announced the listing with {@code 150} first, then failed with {@code 550} on the edge, which
     * rclone takes for a broken listing, and listed nothing with {@code 226} on a node).
     */
    public static Command mlsdOfExisting(Command mlsd) {
        return (session, context, request) -> {
            String argument = request.getArgument();
            String path = argument == null || argument.isBlank() ? "./" : argument;
            FtpFile directory;
            try {
                directory = session.getFileSystemView().getFile(path);
            } catch (FtpException e) {
                directory = null;
            }
            if (directory == null || !directory.isDirectory()) {
                session.resetState();
                reply(session, FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, path + ": no such directory");
                return;
            }
            mlsd.execute(session, context, request);
        };
    }

    private static final Pattern SET_TIME = Pattern.compile("\\d{14}(\\.\\d{1,3})? .+");

    /** {@code STOU}: a name the server picks is never what a partner's flow expects. */
    public static Command stouRefused() {
        return (session, context, request) -> reply(session, FtpReply.REPLY_502_COMMAND_NOT_IMPLEMENTED,
                "STOU is not supported: name the file with STOR");
    }

    /**
     * The file a transfer command names, once its data connection was prepared; null after telling the client why
     * not ({@code 501} without a name, {@code 503} without PASV, EPSV or PORT).
     */
    public static String transferTarget(FtpIoSession session, FtpRequest request) {
        String name = request.getArgument();
        if (name == null || name.isBlank()) {
            reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS,
                    "Syntax: " + request.getCommand() + " <file name>");
            return null;
        }
        return dataConnectionPrepared(session) ? name : null;
    }

    /**
     * Whether a transfer's data connection was prepared; if not, says so with {@code 503}. FtpServer would otherwise
     * try an active connection to a port the client never named.
     */
    public static boolean dataConnectionPrepared(FtpIoSession session) {
        if (session.getDataConnection() instanceof IODataConnectionFactory factory && factory.getInetAddress() == null) {
            reply(session, FtpReply.REPLY_503_BAD_SEQUENCE_OF_COMMANDS, "PASV or EPSV (or PORT) must come first");
            return false;
        }
        return true;
    }

    /** Announces a transfer ({@code 150}) and opens its data connection; null (after {@code 425}) if it fails. */
    public static DataConnection openData(FtpIoSession session, String path) {
        session.write(new DefaultFtpReply(FtpReply.REPLY_150_FILE_STATUS_OKAY, "Opening data connection for " + path))
                .awaitUninterruptibly(10_000);
        try {
            return session.getDataConnection().openConnection();
        } catch (Exception e) {
            reply(session, FtpReply.REPLY_425_CANT_OPEN_DATA_CONNECTION, "Cannot open the data connection");
            return null;
        }
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }
}
