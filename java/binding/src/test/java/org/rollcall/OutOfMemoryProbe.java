package org.rollcall;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.rollcall.binding.Core;

/**
 * Run in a JVM with a small heap (LifecycleTest): fills the heap, injects connection events
 * while nothing can be allocated, frees it, injects more, and checks that the listener's view
 * (each connection told created once, destroyed once) ends equal to the roster. Prints
 * "consistent" or "not consistent"; an abort would be exit 134.
 */
final class OutOfMemoryProbe {
    // The listener allocates nothing: with the heap full, a HashSet's add can throw OutOfMemoryError
    // after it inserted (while resizing), and the probe then counted its own failure as the
    // binding's ("twice", "unknown"). The injected IDs are inject-0 .. inject-1999.
    private static final int IDS = 2000;
    private static final Object lock = new Object();
    private static final boolean[] told = new boolean[IDS];
    private static final String[] problems = new String[5];
    private static int problemCount;
    private static int twiceCount;
    private static int toldCount;
    private static long events;

    /** N of "inject-N", without allocating. */
    private static int index(String id) {
        int n = 0;
        for (int i = "inject-".length(); i < id.length(); i++) {
            n = n * 10 + (id.charAt(i) - '0');
        }
        return n;
    }

    /** A connection told created twice ({@code twice}) or destroyed while not told created. */
    private static void problem(boolean twice, String id) {
        if (twice) {
            twiceCount++;
        }
        if (problemCount < problems.length) {
            problems[problemCount] = id; // a reference into a preallocated array: no allocation
        }
        problemCount++;
    }

    private OutOfMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        Session session = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")
                .connectionListener(new Session.ConnectionListener() {
                    @Override
                    public void onConnectionCreated(Session s, Connection connection) {
                        synchronized (lock) {
                            events++;
                            int i = index(connection.getConnectionId());
                            if (told[i]) {
                                problem(true, connection.getConnectionId());
                            }
                            told[i] = true;
                            toldCount++;
                        }
                    }

                    @Override
                    public void onConnectionDestroyed(Session s, Connection connection) {
                        synchronized (lock) {
                            events++;
                            int i = index(connection.getConnectionId());
                            if (!told[i]) {
                                problem(false, connection.getConnectionId());
                            } else {
                                told[i] = false;
                                toldCount--;
                            }
                        }
                    }
                }).build();
        // Made before the heap is full: injecting must not need the Java heap.
        java.util.function.ToIntFunction<org.rollcall.binding.OtcLib.otc_session> inject =
                native_ -> TestNatives.injectConnectionEvents(native_.address(), 2000);
        TestNatives.benchEventCount(); // loads the test natives while there is memory
        NativeLibrary.NativeSession nativeSession = session.nativeSession();
        // Runs every call site of the loop below once, while there is memory: resolving a call
        // site allocates on the heap.
        long pendingWhileFull = -1;
        int lastStatus = 0;
        int step = 0;
        Throwable lastThrown = null;
        int failedInjections = 0;
        for (int warmUp = 0; warmUp < 2; warmUp++) {
            try {
                step = 1;
                lastStatus = nativeSession.call(inject);
                step = 2;
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                step = 3;
                pendingWhileFull = Math.max(pendingWhileFull, Core.rc_pending_events());
            } catch (Throwable t) {
                lastThrown = t;
                failedInjections++;
            }
        }
        Core.rc_refused_event_count();
        List<Object> ballast = new ArrayList<>();
        try {
            while (true) {
                ballast.add(new byte[4096]);
            }
        } catch (OutOfMemoryError full) {
            // the heap is full: every allocation of the events now fails
        }
        // Nothing here may allocate outside a try: even resolving a string constant needs the heap.
        long start = System.nanoTime();
        while (System.nanoTime() - start < 3_000_000_000L) {
            try {
                step = 1;
                lastStatus = nativeSession.call(inject);
                step = 2;
                if (lastStatus != 0) {
                    failedInjections++;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
                step = 3;
                pendingWhileFull = Math.max(pendingWhileFull, Core.rc_pending_events());
            } catch (Throwable t) {
                lastThrown = t;
                failedInjections++;
            }
        }
        ballast.clear();
        ballast = null;
        System.gc();
        if (lastThrown != null) {
            lastThrown.printStackTrace(System.out);
        }
        System.out.println("refused by Java: " + Core.rc_refused_event_count() + ", pending while full: " + pendingWhileFull + ", failed injections " + failedInjections
                + " (step " + step + ", last status " + lastStatus + ", thrown " + lastThrown + ")");
        TestHooks.injectConnectionEvents(session, 1000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        boolean consistent = false;
        while (System.nanoTime() < deadline && !consistent) {
            Thread.sleep(20);
            synchronized (lock) {
                consistent = toldCount == 0 && session.getConnections().isEmpty() && Core.rc_pending_events() == 0
                        && problemCount == 0;
            }
        }
        synchronized (lock) {
            System.out.println((consistent ? "consistent" : "not consistent") + ": events " + events + ", told "
                    + toldCount + ", roster " + session.getConnections().size() + ", pending "
                    + Core.rc_pending_events() + ", resyncs " + session.getResyncCount() + ", problems "
                    + problemCount + " (" + twiceCount + " told twice, the others unknown) " + java.util.Arrays.toString(problems));
        }
        session.close();
        System.exit(consistent && Core.rc_refused_event_count() > 0 ? 0 : 1);
    }
}
