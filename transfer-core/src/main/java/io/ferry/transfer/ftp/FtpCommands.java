package io.ferry.transfer.ftp;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.util.Map;
import java.util.TreeMap;

import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.command.impl.EPRT;
import org.apache.ftpserver.command.impl.LIST;
import org.apache.ftpserver.command.impl.MDTM;
import org.apache.ftpserver.command.impl.MFMT;
import org.apache.ftpserver.command.impl.MLSD;
import org.apache.ftpserver.command.impl.NLST;
import org.apache.ftpserver.command.impl.PASS;
import org.apache.ftpserver.command.impl.PORT;
import org.apache.ftpserver.command.impl.USER;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.impl.FtpIoSession;

import io.ferry.common.ftp.FtpsCommands;
import io.ferry.storage.Sha256;

/**
 * The commands Ferry adds to or changes in Apache FtpServer on a node: its own transfers ({@link FtpTransfers}), the
 * TLS policy the edge keeps too ({@link FtpsCommands}: no login before {@code AUTH TLS} unless plain FTP is allowed;
 * no data connection without {@code PROT P} once the control connection is protected, RFC 4217), {@code HASH} and {@code XSHA256} (SHA-256 of a file,
 * draft-bryan-ftpext-hash), and a {@code FEAT} that lists what is really there.
 */
final class FtpCommands {

    private FtpCommands() {
    }

    static Map<String, Command> all(FtpsProperties properties, FtpTransfers transfers) {
        Map<String, Command> commands = new TreeMap<>();
        commands.put("USER", FtpsCommands.loginNeedsTls(properties.allowPlain(), new USER()));
        commands.put("PASS", FtpsCommands.loginNeedsTls(properties.allowPlain(), new PASS()));
        commands.put("LIST", protectedData(properties, new LIST()));
        commands.put("NLST", protectedData(properties, new NLST()));
        commands.put("MLSD", protectedData(properties, FtpsCommands.mlsdOfExisting(new MLSD())));
        commands.put("STOR", protectedData(properties, transfers.stor()));
        commands.put("APPE", protectedData(properties, transfers.appe()));
        commands.put("RETR", protectedData(properties, transfers.retr()));
        commands.put("PORT", noPrivilegedPort(new PORT(), FtpCommands::portOfPort));
        commands.put("EPRT", noPrivilegedPort(new EPRT(), FtpCommands::portOfEprt));
        commands.put("STOU", FtpsCommands.stouRefused());
        commands.put("MDTM", FtpsCommands.mdtmThatSets(new MDTM(), new MFMT()));
        commands.put("HASH", (session, context, request) -> hash(session, request.getArgument(), true));
        commands.put("XSHA256", (session, context, request) -> hash(session, request.getArgument(), false));
        commands.put("FEAT", (session, context, request) -> session.write(new DefaultFtpReply(
                FtpReply.REPLY_211_SYSTEM_STATUS_REPLY, feat(properties))));
        return commands;
    }

    static String feat(FtpsProperties properties) {
        StringBuilder feat = new StringBuilder("Extensions supported\n");
        feat.append(" AUTH TLS\n PBSZ\n PROT\n UTF8\n SIZE\n MDTM\n MFMT\n REST STREAM\n");
        // RFC 3659: a star marks the facts MLST and MLSD give until OPTS MLST chooses others
        feat.append(" MLST Size*;Modify*;Type*;Perm\n EPSV\n");
        if (properties.activeEnabled()) {
            feat.append(" EPRT\n");
        }
        feat.append(" HASH SHA-256*\n XSHA256\n");
        return feat.append("End").toString();
    }

    private static Command protectedData(FtpsProperties properties, Command command) {
        return FtpsCommands.dataNeedsProtection(properties.requireProtectedData(), command);
    }

    /**
     * Active mode never targets a privileged port (RFC 2577): with FtpServer's check that the address is the client's
     * own, a PORT or EPRT cannot make the server send a file to another host's or to the client host's services.
     */
    private static Command noPrivilegedPort(Command command, java.util.function.ToIntFunction<String> port) {
        return (session, context, request) -> {
            int target = request.getArgument() == null ? -1 : port.applyAsInt(request.getArgument());
            if (target >= 0 && target < 1024) {
                session.resetState();
                reply(session, FtpReply.REPLY_504_COMMAND_NOT_IMPLEMENTED_FOR_THAT_PARAMETER,
                        request.getCommand() + " to port " + target + " refused: only ports 1024-65535 (no FTP bounce)");
                return;
            }
            command.execute(session, context, request);
        };
    }

    /** The port of {@code PORT h1,h2,h3,h4,p1,p2}; -1 when malformed (FtpServer then answers 501). */
    static int portOfPort(String argument) {
        String[] parts = argument.trim().split(",");
        try {
            return parts.length == 6 ? Integer.parseInt(parts[4].trim()) * 256 + Integer.parseInt(parts[5].trim()) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The port of {@code EPRT |proto|address|port|} (any delimiter); -1 when malformed. */
    static int portOfEprt(String argument) {
        String trimmed = argument.trim();
        if (trimmed.length() < 2) {
            return -1;
        }
        String[] parts = trimmed.split(java.util.regex.Pattern.quote(trimmed.substring(0, 1)), -1);
        try {
            return parts.length >= 4 ? Integer.parseInt(parts[3].trim()) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** {@code HASH file}: {@code 213 SHA-256 0-<last byte> <hex> <file>}; {@code XSHA256 file}: {@code 213 <hex>}. */
    private static void hash(FtpIoSession session, String name, boolean rangeForm) {
        if (name == null || name.isBlank()) {
            reply(session, FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS, "Syntax: HASH <file name>");
            return;
        }
        FerryFtpFile file = ((FerryFileSystemView) session.getFileSystemView()).getFile(name);
        if (FtpTransfers.refusedRead(session, file, name)) {
            return;
        }
        try (SeekableByteChannel channel = file.store().openRead(file.stored())) {
            long size = channel.size();
            String hex = Sha256.of(channel, 0, size);
            reply(session, FtpReply.REPLY_213_FILE_STATUS, rangeForm
                    ? "SHA-256 0-" + Math.max(0, size - 1) + " " + hex + " " + file.getName() : hex);
        } catch (IOException e) {
            reply(session, FtpReply.REPLY_451_REQUESTED_ACTION_ABORTED, name + ": " + e.getMessage());
        }
    }

    private static void reply(FtpIoSession session, int code, String message) {
        session.write(new DefaultFtpReply(code, message));
    }
}
