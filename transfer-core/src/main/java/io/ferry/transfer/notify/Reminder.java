package io.ferry.transfer.notify;

/**
 * Something that warns ahead of time (a key near its expiry): asked hourly (the first time a minute after the node
 * started), on the primary only, by {@link ExpectationWatch}. It raises what it must through
 * {@link Notifications#raise}; it must not block for long, and what it throws is logged and forgotten.
 */
public interface Reminder {

    void remind(Notifications notifications);
}
