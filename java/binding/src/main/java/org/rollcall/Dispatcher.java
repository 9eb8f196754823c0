package org.rollcall;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one session's listener calls one at a time, in the order given.
 *
 * <ul>
 *   <li>Queued (the default): calls wait in a bounded queue and run on an executor, the
 *       binding's {@link DeliveryThreads} unless the application gave its own. libotc's library
 *       thread only enqueues, so a slow listener never holds up the network.</li>
 *   <li>Direct (opt-in): calls run at once on the calling thread, the library thread.</li>
 * </ul>
 *
 * <p>The queue holds at most {@code capacity} connection events. When it is full,
 * {@link #dispatch} refuses the event, and the caller ({@link EventRouter}) falls behind: it calls
 * {@link #discardConnectionEvents()} and later {@link #requestResync}, whose task runs once the
 * queue is empty. State events (connected, errors...) are never refused: they are few.
 *
 * <p>A listener that throws is logged and the next call runs. After {@link #close()} returns, no
 * call starts, and none is still running except the caller's own. {@link Watchdog} reads
 * {@link #runningOn()} and {@link #callsStarted()} to report listeners that hold their thread too long.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Calls per turn on a shared thread before the session lets other sessions run. */
    private static final int TURN = 256;
    /** Calls taken from the queue under one lock. */
    private static final int CHUNK = 64;

    private record Item(Runnable call, boolean connectionEvent, long sequence) {
    }

    final String sessionId;
    private final Executor executor; // null: direct
    private final int capacity;
    private final Runnable drainTask = this::drain;

    private final ArrayDeque<Item> queue = new ArrayDeque<>(); // guarded by queue
    /** The calls being run by the drain (one drain runs at a time). */
    private final Item[] chunk = new Item[CHUNK];
    private int queuedConnectionEvents; // guarded by queue
    private long nextSequence; // guarded by queue
    /** Connection events enqueued before this sequence number are skipped (counted, not run). */
    private long discardBefore; // guarded by queue
    private boolean drainScheduled; // guarded by queue

    private volatile Runnable resyncTask;
    private volatile boolean executorRejected;
    private volatile boolean closed;
    /** Held while a listener runs. */
    private final Object running = new Object();

    /**
     * For the watchdog, cheap to write (no clock read per call): the thread of the running call
     * ({@code null} when none runs) and how many calls have started.
     */
    private Thread runningOn;
    private long callsStarted;
    private static final VarHandle RUNNING_ON;
    private static final VarHandle CALLS_STARTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            RUNNING_ON = lookup.findVarHandle(Dispatcher.class, "runningOn", Thread.class);
            CALLS_STARTED = lookup.findVarHandle(Dispatcher.class, "callsStarted", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    /** The watchdog's own notes: the call it last saw running, since when, and whether it warned. */
    long watchedCall = -1;
    long watchedSince;
    long warnedCall = -1;

    final AtomicLong discardedEvents = new AtomicLong();

    /**
     * @param executor where listeners run, {@code null} for direct delivery on the calling thread
     * @param capacity how many connection events may wait
     */
    Dispatcher(String sessionId, Executor executor, int capacity) {
        this.sessionId = sessionId;
        this.executor = executor;
        this.capacity = capacity;
    }

    boolean isDirect() {
        return executor == null;
    }

    /**
     * Runs or queues a call. {@code false} when a connection event does not fit in the queue: the
     * call will not run.
     */
    boolean dispatch(Runnable call, boolean connectionEvent) {
        if (executor == null) {
            runPendingResync();
            run(call);
            return true;
        }
        boolean schedule;
        synchronized (queue) {
            if (closed) {
                return true;
            }
            if (connectionEvent && queuedConnectionEvents >= capacity) {
                return false;
            }
            queue.add(new Item(call, connectionEvent, nextSequence++));
            if (connectionEvent) {
                queuedConnectionEvents++;
            }
            schedule = !drainScheduled;
            drainScheduled = true;
        }
        if (schedule) {
            schedule();
        }
        return true;
    }

    /**
     * The connection events queued so far will not run. Allocates nothing (it may run after an
     * OutOfMemoryError): the queue skips them when it reaches them.
     */
    void discardConnectionEvents() {
        synchronized (queue) {
            discardBefore = nextSequence;
        }
    }

    /**
     * Runs {@code resync} once the queue is empty (direct: before the next call, or at
     * {@link #kick()}). Allocates nothing.
     */
    void requestResync(Runnable resync) {
        resyncTask = resync;
    }

    /** Makes sure a requested resync runs soon: on the executor, or now when direct. */
    void kick() {
        if (resyncTask == null) {
            return;
        }
        if (executor == null) {
            runPendingResync();
            return;
        }
        boolean schedule;
        synchronized (queue) {
            schedule = !closed && !drainScheduled;
            drainScheduled = true;
        }
        if (schedule) {
            schedule();
        }
    }

    /** Queued calls are dropped; a running one is waited for (unless it is ours). */
    void close() {
        synchronized (queue) {
            closed = true;
            queue.clear();
            queuedConnectionEvents = 0;
        }
        resyncTask = null;
        synchronized (running) {
            // Waits for a listener running on another thread to return.
        }
    }

    /**
     * Hands the drain to the executor. An executor that rejects it (e.g. shut down) is replaced
     * by the binding's own threads for good, with one WARN: events are never dropped for it.
     */
    private void schedule() {
        Executor target = executorRejected ? DeliveryThreads.POOL : executor;
        try {
            target.execute(drainTask);
            return;
        } catch (RejectedExecutionException e) {
            if (target != DeliveryThreads.POOL) {
                executorRejected = true;
                log.warn("The executor of session {} rejected listener calls; from now on they run on the"
                        + " binding's own delivery threads ({})", sessionId, e.toString());
                try {
                    DeliveryThreads.POOL.execute(drainTask);
                    return;
                } catch (Throwable again) {
                    // below
                }
            }
        } catch (Throwable t) {
            // e.g. OutOfMemoryError in the executor's queue: the next event schedules again.
        }
        synchronized (queue) {
            drainScheduled = false;
        }
    }

    /**
     * Runs up to {@link #TURN} calls, taking them from the queue {@link #CHUNK} at a time (one lock
     * per chunk, not per call: the library thread adds to the same queue). A call taken just
     * before {@link #discardConnectionEvents()} still runs; that is safe, since the resync compares
     * what the listener was actually told.
     */
    private void drain() {
        int done = 0;
        while (done < TURN) {
            int taken = 0;
            boolean resync = false;
            synchronized (queue) {
                while (taken < CHUNK) {
                    Item item = queue.poll();
                    if (item == null) {
                        break;
                    }
                    if (item.connectionEvent) {
                        queuedConnectionEvents--;
                        if (item.sequence < discardBefore) {
                            discardedEvents.incrementAndGet();
                            continue;
                        }
                    }
                    chunk[taken++] = item;
                }
                if (taken == 0) {
                    if (resyncTask == null || closed) {
                        drainScheduled = false;
                        return;
                    }
                    resync = true;
                }
            }
            if (resync) {
                runPendingResync();
                done++;
                continue;
            }
            for (int i = 0; i < taken; i++) {
                Item item = chunk[i];
                chunk[i] = null;
                run(item.call);
            }
            done += taken;
        }
        // Let the other sessions on this executor have a turn.
        schedule();
    }

    private void runPendingResync() {
        Runnable resync = resyncTask;
        if (resync != null) {
            resyncTask = null;
            run(resync);
        }
    }

    private void run(Runnable call) {
        synchronized (running) {
            if (closed) {
                return;
            }
            // Release stores: ordered for the watchdog, without a full fence per call.
            CALLS_STARTED.setRelease(this, callsStarted + 1); // only the running thread writes it
            RUNNING_ON.setRelease(this, Thread.currentThread());
            try {
                call.run();
            } catch (Throwable t) {
                safeWarn(t);
            } finally {
                RUNNING_ON.setRelease(this, null);
            }
        }
    }

    /** The thread of the running call, {@code null} when none runs (for the watchdog). */
    Thread runningOn() {
        return (Thread) RUNNING_ON.getAcquire(this);
    }

    /** How many calls have started (for the watchdog). */
    long callsStarted() {
        return (long) CALLS_STARTED.getAcquire(this);
    }

    static void safeWarn(Throwable t) {
        try {
            log.warn("A session listener threw; the session goes on", t);
        } catch (Throwable ignored) {
            // Logging itself failed (e.g. out of memory): nothing more to do.
        }
    }
}
