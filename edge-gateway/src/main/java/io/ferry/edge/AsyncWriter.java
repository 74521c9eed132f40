package io.ferry.edge;

import java.io.IOException;
import java.util.ArrayDeque;

import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.Buffer;

/**
 * Writes buffers to an asynchronous stream one after another (MINA's channel streams take one write at a time),
 * running each buffer's callback once it is written; the first failure runs {@code onError}.
 */
final class AsyncWriter {
    private final IoOutputStream out;
    private final Runnable onError;
    private final ArrayDeque<Object[]> queue = new ArrayDeque<>();
    private boolean writing;

    AsyncWriter(IoOutputStream out, Runnable onError) {
        this.out = out;
        this.onError = onError;
    }

    /** Runs {@code action} once everything queued so far is written (at once if nothing is). */
    void then(Runnable action) {
        write(null, action);
    }

    void write(Buffer buffer, Runnable written) {
        synchronized (this) {
            queue.add(new Object[] {buffer, written});
            if (writing) {
                return;
            }
            writing = true;
        }
        next();
    }

    private void next() {
        Object[] item;
        synchronized (this) {
            item = queue.poll();
            if (item == null) {
                writing = false;
                return;
            }
        }
        if (item[0] == null) { // a marker: everything before it is written
            ((Runnable) item[1]).run();
            next();
            return;
        }
        try {
            out.writeBuffer((Buffer) item[0]).addListener(f -> {
                if (f.getException() != null) {
                    onError.run();
                    return;
                }
                ((Runnable) item[1]).run();
                next();
            });
        } catch (IOException | RuntimeException e) {
            onError.run();
        }
    }
}
