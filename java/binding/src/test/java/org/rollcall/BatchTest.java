package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;
import org.rollcall.binding.Core;

/** One JNI upcall per burst of events (libotc's batch hook), in order, each event once. */
class BatchTest {
    @Test
    void aBurstCrossesIntoJavaInFewUpcallsInOrderAndOnce() throws Exception {
        int pairs = 20_000;
        List<String> seen = new ArrayList<>(2 * pairs);
        CountDownLatch done = new CountDownLatch(1);
        try (Session session = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")
                .eventQueueCapacity(4 * pairs)
                .connectionListener(new Session.ConnectionListener() {
                    @Override
                    public void onConnectionCreated(Session s, Connection connection) {
                        seen.add("+" + connection.getConnectionId());
                    }

                    @Override
                    public void onConnectionDestroyed(Session s, Connection connection, DropReason reason) {
                        seen.add("-" + connection.getConnectionId() + " " + reason);
                        if (seen.size() == 2 * pairs) {
                            done.countDown();
                        }
                    }
                }).build()) {
            TestHooks.startLibrary();
            long batchesBefore = Core.rc_batch_count();
            TestHooks.injectConnectionEvents(session, pairs);
            assertTrue(done.await(60, TimeUnit.SECONDS), "events seen: " + seen.size());
            long batches = Core.rc_batch_count() - batchesBefore;
            // One upcall per 64 KiB of records at most (about a thousand events), not one per event.
            assertTrue(batches <= 2 * pairs / 500, batches + " upcalls for " + 2 * pairs + " events");
            String first = seen.get(0).substring(1);
            assertTrue(first.startsWith("inject-"), first);
            long base = Long.parseLong(first.substring("inject-".length()));
            for (int i = 0; i < pairs; i++) {
                String id = "inject-" + (base + i);
                assertEquals("+" + id, seen.get(2 * i));
                assertEquals("-" + id + " " + DropReason.CLIENT_DISCONNECTED, seen.get(2 * i + 1));
            }
            assertEquals(0, Core.rc_pending_events());
        }
    }

    /**
     * Bursts far bigger than a slow listener's queue: the session falls behind and resyncs, and
     * the listener is still told each connection at most once, never a drop of one it was not
     * told, and ends agreeing with the roster (empty: every injected connection left).
     */
    @Test
    void burstsBiggerThanTheQueueEndConsistent() throws Exception {
        Set<String> told = new HashSet<>();
        List<String> problems = new ArrayList<>();
        CountDownLatch markerSeen = new CountDownLatch(1);
        try (Session slow = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "slow")
                .eventQueueCapacity(500)
                .connectionListener(new Session.ConnectionListener() {
                    @Override
                    public void onConnectionCreated(Session s, Connection connection) {
                        synchronized (told) {
                            if (!told.add(connection.getConnectionId())) {
                                problems.add("told twice: " + connection.getConnectionId());
                            }
                        }
                        long until = System.nanoTime() + 2_000;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait(); // slower than the library thread
                        }
                    }

                    @Override
                    public void onConnectionDestroyed(Session s, Connection connection, DropReason reason) {
                        synchronized (told) {
                            if (!told.remove(connection.getConnectionId())) {
                                problems.add("destroyed, never created: " + connection.getConnectionId());
                            }
                        }
                    }
                }).build();
                Session marker = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "marker")
                        .deliverOnLibraryThread()
                        .connectionListener(new Session.ConnectionListener() {
                            @Override
                            public void onConnectionCreated(Session s, Connection connection) {
                                markerSeen.countDown();
                            }
                        }).build()) {
            for (int i = 0; i < 5; i++) {
                TestHooks.injectConnectionEvents(slow, 20_000);
            }
            // The library thread runs injections in order: once the marker's event arrives, every
            // event of the slow session has been handed to its router.
            TestHooks.injectConnectionEvents(marker, 1);
            assertTrue(markerSeen.await(60, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            boolean settled = false;
            while (!settled && System.nanoTime() < deadline) {
                synchronized (told) {
                    settled = told.isEmpty() && slow.getConnections().isEmpty();
                }
                Thread.sleep(10);
            }
            synchronized (told) {
                assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())));
                assertTrue(settled, "listener still told of " + told.size() + " connections");
            }
            assertTrue(slow.getResyncCount() > 0, "the listener never fell behind: the test proves nothing");
        }
    }

    @Test
    void repeatedConnectionDataIsOneString() throws Exception {
        Recorder recorder = new Recorder();
        try (Session session = recorder.attach(
                new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")).build()) {
            String data = "{\"role\":\"viewer\",\"name\":\"Zoë\"}";
            post(session, "a", data);
            post(session, "b", data);
            post(session, "c", "{\"role\":\"host\"}");
            Connection a = recorder.next(Recorder.Type.CREATED).connection();
            Connection b = recorder.next(Recorder.Type.CREATED).connection();
            Connection c = recorder.next(Recorder.Type.CREATED).connection();
            assertEquals(data, a.getData());
            assertSame(a.getData(), b.getData(), "equal data bytes decoded twice");
            assertNotSame(a.getConnectionId(), b.getConnectionId());
            assertEquals("{\"role\":\"host\"}", c.getData());
        }
    }

    private static void post(Session session, String id, String data) {
        try (BytePointer idBytes = cString(id); BytePointer dataBytes = cString(data)) {
            Core.rc_test_post_created(session.nativeSession().handle, idBytes, dataBytes);
        }
    }

    private static BytePointer cString(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        BytePointer pointer = new BytePointer(bytes.length + 1L);
        pointer.put(bytes).put(bytes.length, (byte) 0);
        return pointer;
    }
}
