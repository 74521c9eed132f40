package io.ferry.common.ftp;

import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.listener.Listener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes every FTPS connection that has not logged in within the authentication timeout, with {@code 421}: a client
 * cannot hold a connection without ever logging in. It is a sweep over the listeners' sessions, not a check when a
 * command comes: FtpServer answers most commands before a login with {@code 530} without asking anyone, and every
 * command restarts its idle timer, so a client sending {@code NOOP} each minute would otherwise stay for good.
 */
public final class LoginDeadline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LoginDeadline.class);
    /** A session whose USER or PASS runs now (a node may still be checking it): its login finishes first. */
    static final String LOGGING_IN = LoginDeadline.class.getName() + ".loggingIn";
    /** A session told 421 already: a client that does not read it is cut off at the next sweep. */
    private static final String TOLD = LoginDeadline.class.getName() + ".told";

    private final Duration authTimeout;
    private final Supplier<Collection<Listener>> listeners;
    private final ScheduledExecutorService sweeper;

    /**
     * Starts sweeping, a quarter of the timeout apart (at least 250 ms, at most 5 s).
     *
     * @param listeners the server's listeners (those not started or stopped are passed over)
     */
    public LoginDeadline(Duration authTimeout, Supplier<Collection<Listener>> listeners, String threadName) {
        this.authTimeout = authTimeout;
        this.listeners = listeners;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.min(5000, Math.max(250, authTimeout.toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    private void sweep() {
        long now = System.currentTimeMillis();
        for (Listener listener : listeners.get()) {
            try {
                if (listener.isStopped() || listener.isSuspended()) {
                    continue;
                }
                for (FtpIoSession session : listener.getActiveSessions()) {
                    if (session.isLoggedIn() || session.isClosing() || session.containsAttribute(LOGGING_IN)
                            || now - session.getCreationTime() <= authTimeout.toMillis()) {
                        continue;
                    }
                    if (session.containsAttribute(TOLD)) {
                        session.closeNow();
                        continue;
                    }
                    session.setAttribute(TOLD, Boolean.TRUE);
                    log.info("FTPS connection from {} did not log in within {} s: closed", session.getRemoteAddress(),
                            authTimeout.toSeconds());
                    session.write(new DefaultFtpReply(
                            FtpReply.REPLY_421_SERVICE_NOT_AVAILABLE_CLOSING_CONTROL_CONNECTION,
                            "Not logged in within " + authTimeout.toSeconds() + " s"));
                    session.closeOnFlush();
                }
            } catch (RuntimeException e) {
                log.debug("Login deadline sweep: {}", e.toString()); // a listener stopping meanwhile
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
