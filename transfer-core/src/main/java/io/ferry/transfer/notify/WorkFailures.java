package io.ferry.transfer.notify;

import io.ferry.transfer.route.WorkQueue;

/** A work item that failed its last attempt becomes a {@link Notifications#WORK_FAILED} event. */
final class WorkFailures implements WorkQueue.Listener {

    private final Notifications notifications;

    WorkFailures(Notifications notifications) {
        this.notifications = notifications;
    }

    @Override
    public void exhausted(WorkQueue.Item item, String error) {
        String what = switch (item.kind()) {
            case "pull" -> "pull from partner " + item.partner() + " into " + item.path();
            case "deliver" -> "delivery of " + item.path() + " to partner " + item.partner();
            default -> item.kind() + " of " + item.path();
        };
        // the subject names the item: every failed item is told once, whatever the rate limit says of others
        notifications.raise(Notifications.WORK_FAILED, "Work item " + item.id() + " failed: " + what,
                "Work item " + item.id() + " (" + what + ", account " + item.account() + ", route " + item.route()
                        + ") failed its last attempt (" + item.attempts() + " of " + item.maxAttempts() + "). "
                        // a partner's server's own words, on one line and quoted: never text that poses as ours
                        + "The last error: \u00ab" + Notifications.oneLine(error == null ? "" : error, 300)
                        + "\u00bb\n\nOnce the cause is fixed, resubmit it: console, Work items, or POST "
                        + "/api/v1/work-items/" + item.id() + "/resubmit.");
    }
}
