package io.ferry.transfer.notify;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;

/** At most {@code perHour} mails in any hour (a sliding window); 0 or less: no limit. */
final class MailBudget {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    private final int perHour;
    private final Deque<Long> sent = new ArrayDeque<>();

    MailBudget(int perHour) {
        this.perHour = perHour;
    }

    /** Takes one mail from the budget; false when this hour's is spent. */
    synchronized boolean take() {
        if (perHour <= 0) {
            return true;
        }
        long now = System.nanoTime();
        while (!sent.isEmpty() && now - sent.peekFirst() >= HOUR) {
            sent.removeFirst();
        }
        if (sent.size() >= perHour) {
            return false;
        }
        sent.addLast(now);
        return true;
    }
}
