package io.ferry.transfer.notify;

/**
 * Something that warns ahead of time (a key near its expiry): asked hourly, on the primary only, by
 * {@link ExpectationWatch}, and soon after a node became primary. It raises what it must through
 * {@link Notifications#raise}; it must not block for long, and what it throws is logged and forgotten.
 */
public interface Reminder {

    void remind(Notifications notifications);
}
