package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Order and exactly-once under many concurrent joins and leaves, checked for every observer. */
class ConcurrencyTest {
    private static final int CHURNERS = 50;
    private static final int EARLY_OBSERVERS = 3;
    private static final int LATE_OBSERVERS = 3;

    @Test
    void everyObserverSeesOneConsistentOrderedHistory() throws Exception {
        try (Fixture fixture = new Fixture()) {
            String session = Fixture.newSession();
            List<TestClient> observers = new ArrayList<>();
            for (int i = 0; i < EARLY_OBSERVERS; i++) {
                observers.add(fixture.join(session, "early" + i));
            }
            ConcurrentLinkedQueue<String> churnIds = new ConcurrentLinkedQueue<>();
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<TestClient>> late = new ArrayList<>();
            List<Future<?>> churn = new ArrayList<>();
            for (int i = 0; i < CHURNERS; i++) {
                int n = i;
                churn.add(pool.submit(() -> {
                    TestClient client = fixture.join(session, "churn" + n);
                    churnIds.add(client.id());
                    if (n % 2 == 0) {
                        client.close();
                    } else {
                        client.abort(); // leaves after the grace
                    }
                    return null;
                }));
                if (i % (CHURNERS / LATE_OBSERVERS) == 0 && late.size() < LATE_OBSERVERS) {
                    late.add(pool.submit(() -> fixture.join(session, "late" + n)));
                }
            }
            for (Future<?> f : churn) {
                f.get();
            }
            for (Future<TestClient> f : late) {
                observers.add(f.get());
            }
            pool.shutdown();

            for (TestClient observer : observers) {
                for (String id : churnIds) {
                    if (knewOf(observer, id)) {
                        observer.awaitEvent(ConnectionEventsTest.destroyed(id), TestClient.TIMEOUT);
                    }
                }
            }
            // All churners are gone and everyone has seen it; the roster is now just the observers.
            JsonNode list = new ObjectMapper().readTree(fixture.get("/v1/admin/sessions/" + session + "/connections",
                    "Authorization", HttpApiTest.basic(Fixture.APP)).body());
            Set<String> everyone = new HashSet<>(ConnectionEventsTest.ids(list.path("connections")));
            assertEquals(EARLY_OBSERVERS + LATE_OBSERVERS, everyone.size());

            for (TestClient observer : observers) {
                Set<String> expected = new HashSet<>(everyone);
                expected.remove(observer.id());
                assertEquals(expected, replay(observer), "roster of " + observer.id());
            }
            for (TestClient early : observers.subList(0, EARLY_OBSERVERS)) {
                for (String id : churnIds) {
                    assertEquals(1, early.events().stream().filter(ConnectionEventsTest.created(id)).count());
                    assertEquals(1, early.events().stream().filter(ConnectionEventsTest.destroyed(id)).count());
                }
            }
            assertSameHistory(observers);
        }
    }

    private static boolean knewOf(TestClient observer, String id) {
        return ConnectionEventsTest.ids(observer.connected().path("connections")).contains(id)
                || observer.events().stream().anyMatch(ConnectionEventsTest.created(id));
    }

    /**
     * Applies the observer's events to its first roster, checking each guarantee on the way, and
     * returns the roster it ends with.
     */
    private static Set<String> replay(TestClient observer) {
        Set<String> roster = new LinkedHashSet<>(ConnectionEventsTest.ids(observer.connected().path("connections")));
        Set<String> everCreated = new HashSet<>(roster);
        Set<String> everDestroyed = new HashSet<>();
        long seq = observer.connected().path("seq").asLong();
        for (JsonNode event : observer.events()) {
            assertTrue(event.path("seq").asLong() > seq, "seq must increase: " + event + " after " + seq);
            seq = event.path("seq").asLong();
            String id = event.path("connection").path("id").asText();
            assertTrue(!id.equals(observer.id()), "event about the observer itself: " + event);
            if (event.path("type").asText().equals("connectionCreated")) {
                assertTrue(everCreated.add(id), "created twice: " + id);
                roster.add(id);
            } else {
                assertTrue(everCreated.contains(id), "destroyed before created: " + id);
                assertTrue(everDestroyed.add(id), "destroyed twice: " + id);
                roster.remove(id);
            }
        }
        return roster;
    }

    /** Any two observers agree on every seq both received. */
    private static void assertSameHistory(List<TestClient> observers) {
        java.util.Map<Long, JsonNode> bySeq = new java.util.HashMap<>();
        for (TestClient observer : observers) {
            for (JsonNode event : observer.events()) {
                JsonNode known = bySeq.putIfAbsent(event.path("seq").asLong(), event);
                if (known != null) {
                    assertEquals(known, event, "two observers disagree on seq " + event.path("seq"));
                }
            }
        }
    }
}
