package io.ferry.transfer.node;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs what tells others about a change (a cluster wake-up, a meter) only once the change is visible to them:
 * after the caller's transaction commits, never for one that rolls back; at once when there is no transaction.
 */
public final class AfterCommit {

    private static final Logger log = LoggerFactory.getLogger(AfterCommit.class);

    private AfterCommit() {
    }

    /** Runs {@code action} after the commit; it is a notice, so its failure is logged and never undoes the change. */
    public static void run(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    quietly(action);
                }
            });
        } else {
            quietly(action);
        }
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            log.warn("A notice after a commit failed (the change itself stands): {}", e.toString());
        }
    }
}
