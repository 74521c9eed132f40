package io.ferry.transfer.sftp;

import java.io.IOException;

import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.Handle;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hooks into the SFTP subsystem: sets the logging MDC on the subsystem's own thread (it serves one session for its
 * whole life), and marks file handles the client closed itself, which tells a finished transfer from an
 * interrupted one.
 */
final class SftpSessionListener implements SftpEventListener {

    private static final Logger log = LoggerFactory.getLogger(SftpSessionListener.class);

    @Override
    public void initialized(ServerSession session, int version) {
        SftpSessions.putMdc(session);
        log.debug("SFTP v{} started", version);
    }

    @Override
    public void closing(ServerSession session, String remoteHandle, Handle localHandle) throws IOException {
        localHandle.setAttribute(FerrySftpAccessor.CLIENT_CLOSED, Boolean.TRUE);
    }

    @Override
    public void destroying(ServerSession session) {
        log.debug("SFTP subsystem ending");
    }
}
