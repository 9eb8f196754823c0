package org.rollcall;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The binding's own threads for listener calls, shared by every session without an executor of
 * its own: a few daemon threads, so that one listener that blocks holds up only its own session
 * (and at most {@link #THREADS} blocked listeners hold up the rest). Each session's calls stay in
 * order because a session hands the pool at most one drain task at a time ({@link Dispatcher}).
 * Idle threads end after a minute.
 */
final class DeliveryThreads {
    static final int THREADS = 4;

    static final ExecutorService POOL = create();

    private DeliveryThreads() {
    }

    private static ExecutorService create() {
        AtomicInteger number = new AtomicInteger();
        ThreadFactory factory = task -> {
            Thread thread = new Thread(task, "rollcall-events-" + number.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }
}
