package io.ferry.transfer.node;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Whether this node takes new partner connections now: always in active-active mode; in active-passive mode only
 * while it is primary. The SFTP and FTPS listeners follow it: closed, they accept nothing and the node reports
 * not ready; sessions already open go on until they end.
 */
public final class ServingState {

    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
    private boolean serving;

    public ServingState(boolean serving) {
        this.serving = serving;
    }

    public synchronized boolean serving() {
        return serving;
    }

    /** Changes the state; listeners hear a change (in registration order, on this thread), never a repeat. */
    public void set(boolean serving) {
        synchronized (this) {
            if (this.serving == serving) {
                return;
            }
            this.serving = serving;
        }
        listeners.forEach(l -> l.accept(serving));
    }

    public void onChange(Consumer<Boolean> listener) {
        listeners.add(listener);
    }
}
