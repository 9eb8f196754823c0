package org.rollcall.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.rollcall.Connection;
import org.rollcall.Session;
import org.rollcall.TestHooks;
import org.rollcall.TestNatives;
import org.rollcall.binding.OtcLib;

/**
 * What one connection event costs on its way into Java. libotc's test hook injects created+dropped
 * pairs on the library thread, without network; they go once into C callbacks that only count
 * (src/test/native/testing_natives.c) and once through the binding into a Java ConnectionListener.
 * The difference is the binding's cost per event.
 *
 * <p>Two figures per path: wall time from the injection to the last event, and the CPU time
 * the library thread spent, which a busy machine inflates less.
 *
 * <p>Run: {@code java/binding/callback-cost [pairs] [rounds]}, or {@code java -cp <binding jar and
 * its dependencies> org.rollcall.bench.CallbackCost [pairs] [rounds]}. The last line of output is
 * one JSON object with the figures (for scripts/bench).
 */
public final class CallbackCost {
    private CallbackCost() {
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    /** The library thread, as a Java thread (attached on its first callback into Java). */
    private static volatile long libraryThreadId = -1;

    /** Wall time and library-thread CPU time in one run, ns per event. */
    public record Run(double wall, double cpu) {
    }

    /**
     * Nanoseconds per event, one figure per round: into C, into Java with direct delivery, and
     * into Java with the default delivery (the listener on the binding's delivery threads; the
     * CPU figure is then what the library thread spends to hand the events over).
     */
    public record Result(Run[] cRounds, Run[] javaRounds, Run[] queuedRounds) {
        public double c() {
            return median(cRounds, Run::wall);
        }

        public double java() {
            return median(javaRounds, Run::wall);
        }

        public double cCpu() {
            return median(cRounds, Run::cpu);
        }

        public double javaCpu() {
            return median(javaRounds, Run::cpu);
        }

        public double queued() {
            return median(queuedRounds, Run::wall);
        }

        public double queuedCpu() {
            return median(queuedRounds, Run::cpu);
        }

        private static double median(Run[] runs, java.util.function.ToDoubleFunction<Run> figure) {
            return median(Arrays.stream(runs).mapToDouble(figure).toArray());
        }

        private static double median(double[] values) {
            double[] sorted = values.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }
    }

    public static void main(String[] args) throws InterruptedException {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Result result = measure(pairs, rounds);
        System.out.printf("callback cost: %d created+dropped pairs (%d events) per round, %d rounds (+1 warm-up)%n",
                pairs, 2L * pairs, rounds);
        System.out.printf("                          wall ns/event        library-thread CPU ns/event%n");
        System.out.printf("  into C (counters)       median %7.1f      median %7.1f    rounds %s%n",
                result.c(), result.cCpu(), format(result.cRounds()));
        System.out.printf("  into a Java listener    median %7.1f      median %7.1f    rounds %s%n",
                result.java(), result.javaCpu(), format(result.javaRounds()));
        System.out.printf("  binding cost (Java - C)        %7.1f             %7.1f%n",
                result.java() - result.c(), result.javaCpu() - result.cCpu());
        System.out.printf("  on the delivery threads median %7.1f      median %7.1f    rounds %s%n",
                result.queued(), result.queuedCpu(), format(result.queuedRounds()));
        System.out.printf(java.util.Locale.ROOT, "{\"events\":%d,\"runs\":%d,\"java_ns_per_event\":%.1f,"
                        + "\"c_ns_per_event\":%.1f,\"java_cpu_ns_per_event\":%.1f,\"c_cpu_ns_per_event\":%.1f,"
                        + "\"java_queued_ns_per_event\":%.1f,\"java_queued_cpu_ns_per_event\":%.1f}%n",
                2L * pairs, rounds, result.java(), result.c(), result.javaCpu(), result.cCpu(), result.queued(),
                result.queuedCpu());
    }

    public static Result measure(int pairs, int rounds) throws InterruptedException {
        TestHooks.startLibrary();
        inJava(pairs, true); // first: attaches the library thread, whose CPU time the C runs need
        inC(pairs);
        inJava(pairs, false);
        Run[] c = new Run[rounds];
        Run[] java = new Run[rounds];
        Run[] queued = new Run[rounds];
        for (int i = 0; i < rounds; i++) {
            c[i] = inC(pairs);
            java[i] = inJava(pairs, true);
            queued[i] = inJava(pairs, false);
        }
        return new Result(c, java, queued);
    }

    /** Through the C core's counting callbacks. */
    private static Run inC(int pairs) throws InterruptedException {
        long session = TestNatives.benchSessionNew();
        if (session == 0) {
            throw new IllegalStateException("libotc refused a bench session");
        }
        try {
            long target = TestNatives.benchEventCount() + 2L * pairs;
            long cpu = libraryThreadCpu();
            long start = System.nanoTime();
            check(TestNatives.injectConnectionEvents(session, pairs));
            while (TestNatives.benchEventCount() < target) {
                TimeUnit.MICROSECONDS.sleep(200);
            }
            return new Run((System.nanoTime() - start) / (2.0 * pairs), (libraryThreadCpu() - cpu) / (2.0 * pairs));
        } finally {
            TestNatives.sessionDelete(session);
        }
    }

    /**
     * Through the binding into a Java ConnectionListener: on the library thread ({@code direct},
     * the upcall's cost without a hand-over between threads), or on the delivery threads with a
     * queue big enough never to fall behind.
     */
    private static Run inJava(int pairs, boolean direct) throws InterruptedException {
        CountingListener listener = new CountingListener(2L * pairs, direct);
        Session.Builder builder = new Session.Builder(java.net.URI.create("ws://127.0.0.1:9"), "bench", "bench")
                .connectionListener(listener);
        if (direct) {
            builder.deliverOnLibraryThread();
        } else {
            builder.eventQueueCapacity(2 * pairs + 1);
        }
        try (Session session = builder.build()) {
            long cpu = libraryThreadCpu();
            long start = System.nanoTime();
            TestHooks.injectConnectionEvents(session, pairs);
            if (!listener.done.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("events missing: " + listener.events + " of " + 2L * pairs
                        + " (resyncs " + session.getResyncCount() + ")");
            }
            long wall = System.nanoTime() - start;
            return new Run(wall / (2.0 * pairs), cpu < 0 ? Double.NaN : (libraryThreadCpu() - cpu) / (2.0 * pairs));
        }
    }

    /** Called one call at a time (on the library thread, or the session's delivery thread). */
    private static final class CountingListener implements Session.ConnectionListener {
        final CountDownLatch done = new CountDownLatch(1);
        private final long expected;
        private final boolean onLibraryThread;
        long events;
        long checksum;

        CountingListener(long expected, boolean onLibraryThread) {
            this.expected = expected;
            this.onLibraryThread = onLibraryThread;
        }

        @Override
        public void onConnectionCreated(Session session, Connection connection) {
            checksum += connection.getConnectionId().length();
            count();
        }

        @Override
        public void onConnectionDestroyed(Session session, Connection connection) {
            checksum += connection.getDropReason().isPresent() ? 1 : 0;
            count();
        }

        private void count() {
            if (libraryThreadId < 0 && onLibraryThread) {
                libraryThreadId = Thread.currentThread().getId();
            }
            if (++events == expected) {
                done.countDown();
            }
        }
    }

    private static void check(int status) {
        if (status != OtcLib.OTC_SUCCESS) {
            throw new IllegalStateException("libotc: " + OtcLib.otc_status_string(status).getString() + " (" + status + ")");
        }
    }

    /** CPU time of the library thread so far, or -1 before it is known. */
    private static long libraryThreadCpu() {
        return libraryThreadId < 0 ? -1 : THREADS.getThreadCpuTime(libraryThreadId);
    }

    private static String format(Run[] runs) {
        StringBuilder text = new StringBuilder();
        for (Run run : runs) {
            text.append(text.length() == 0 ? "" : "  ").append(String.format("%.0f/%.0f", run.wall(), run.cpu()));
        }
        return text.toString();
    }
}
