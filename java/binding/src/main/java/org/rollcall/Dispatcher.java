package org.rollcall;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one session's listener calls: on the calling thread (the library thread) when there is no
 * executor, else on the executor, one at a time and in order. A listener that throws is logged
 * and the next one runs. After {@link #close()} returns, no listener call starts, and none is
 * still running except the caller's own.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Session.class);

    private final Executor executor;
    /** Held while a listener runs. */
    private final Object running = new Object();
    private final Queue<Runnable> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private volatile boolean closed;

    /** @param executor where listeners run, or {@code null} for the calling thread */
    Dispatcher(Executor executor) {
        this.executor = executor;
    }

    void dispatch(Runnable call) {
        if (executor == null) {
            run(call);
            return;
        }
        pending.add(call);
        scheduleDrain();
    }

    /** Listener calls still queued are dropped; a running one is waited for (unless it is ours). */
    void close() {
        closed = true;
        pending.clear();
        synchronized (running) {
            // Waits for a listener running on another thread to return.
        }
    }

    private void scheduleDrain() {
        if (!closed && drainScheduled.compareAndSet(false, true)) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false);
                log.warn("The session's executor rejected listener calls; {} dropped", pending.size(), e);
                pending.clear();
            }
        }
    }

    private void drain() {
        Runnable call;
        while ((call = pending.poll()) != null) {
            run(call);
        }
        drainScheduled.set(false);
        if (!pending.isEmpty()) {
            scheduleDrain();
        }
    }

    private void run(Runnable call) {
        synchronized (running) {
            if (closed) {
                return;
            }
            try {
                call.run();
            } catch (Throwable t) {
                log.warn("A session listener threw; the session goes on", t);
            }
        }
    }
}
