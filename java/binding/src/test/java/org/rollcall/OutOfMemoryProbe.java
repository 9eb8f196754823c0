package org.rollcall;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.rollcall.binding.Core;

/**
 * Run in a JVM with a small heap (LifecycleTest): fills the heap, injects connection events
 * while nothing can be allocated, frees it, injects more, and checks that the listener's view
 * (each connection told created once, destroyed once) ends equal to the roster. Prints
 * "consistent" or "not consistent"; an abort would be exit 134.
 */
final class OutOfMemoryProbe {
    private static final Set<String> told = new HashSet<>();
    private static final List<String> problems = new ArrayList<>();
    private static long events;

    private OutOfMemoryProbe() {
    }

    public static void main(String[] args) throws Exception {
        Session session = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")
                .connectionListener(new Session.ConnectionListener() {
                    @Override
                    public void onConnectionCreated(Session s, Connection connection) {
                        synchronized (told) {
                            events++;
                            if (!told.add(connection.getConnectionId())) {
                                problems.add("twice " + connection.getConnectionId());
                            }
                        }
                    }

                    @Override
                    public void onConnectionDestroyed(Session s, Connection connection) {
                        synchronized (told) {
                            events++;
                            if (!told.remove(connection.getConnectionId())) {
                                problems.add("unknown " + connection.getConnectionId());
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
            synchronized (told) {
                consistent = told.isEmpty() && session.getConnections().isEmpty() && Core.rc_pending_events() == 0
                        && problems.isEmpty();
            }
        }
        synchronized (told) {
            System.out.println((consistent ? "consistent" : "not consistent") + ": events " + events + ", told "
                    + told.size() + ", roster " + session.getConnections().size() + ", pending "
                    + Core.rc_pending_events() + ", resyncs " + session.getResyncCount() + ", problems "
                    + problems.subList(0, Math.min(5, problems.size())));
        }
        session.close();
        System.exit(consistent && Core.rc_refused_event_count() > 0 ? 0 : 1);
    }
}
