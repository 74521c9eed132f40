package io.ferry.common.ftp;

import java.net.InetSocketAddress;
import java.util.Optional;

import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.DefaultFtplet;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.ftplet.FtpSession;
import org.apache.ftpserver.ftplet.FtpletResult;

import io.ferry.common.Doorkeeper;

/**
 * An FTPS listener's door, on a node and at the edge: asks the {@link Doorkeeper} of every new connection (a refused
 * one hears {@code 421 Refused: <reason>} and is closed), and tells it of logins and of connections that end.
 */
public final class DoorFtplet extends DefaultFtplet {

    private static final String ADMITTED = DoorFtplet.class.getName() + ".admitted";
    private static final String LOGGED_IN = DoorFtplet.class.getName() + ".loggedIn";
    private final Doorkeeper door;

    public DoorFtplet(Doorkeeper door) {
        this.door = door;
    }

    @Override
    public FtpletResult onConnect(FtpSession session) throws FtpException {
        String address = address(session);
        Optional<String> refused = door.admit(address);
        if (refused.isPresent()) {
            session.write(new DefaultFtpReply(FtpReply.REPLY_421_SERVICE_NOT_AVAILABLE_CLOSING_CONTROL_CONNECTION,
                    "Refused: " + refused.get()));
            return FtpletResult.DISCONNECT;
        }
        session.setAttribute(ADMITTED, address);
        return FtpletResult.DEFAULT;
    }

    @Override
    public FtpletResult onLogin(FtpSession session, FtpRequest request) {
        if (session.getAttribute(ADMITTED) != null && session.getAttribute(LOGGED_IN) == null) {
            session.setAttribute(LOGGED_IN, Boolean.TRUE);
            door.loggedIn();
        }
        return FtpletResult.DEFAULT;
    }

    @Override
    public FtpletResult onDisconnect(FtpSession session) {
        Object address = session.getAttribute(ADMITTED);
        if (address != null) {
            session.removeAttribute(ADMITTED);
            door.closed((String) address, session.getAttribute(LOGGED_IN) != null);
        }
        return FtpletResult.DEFAULT;
    }

    /** The client's address as the door counts it. */
    public static String address(FtpSession session) {
        InetSocketAddress client = session.getClientAddress();
        return client.getAddress() == null ? client.getHostString() : client.getAddress().getHostAddress();
    }
}
