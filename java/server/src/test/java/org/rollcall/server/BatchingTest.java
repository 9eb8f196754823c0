package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A join storm over real sockets: everything arrives, in order, batched as it piles up. */
class BatchingTest {
    private static final int JOINERS = 200;

    @Test
    void joinStormArrivesInOrderAndBatched() throws Exception {
        // Generous heartbeats: two hundred clients in one JVM on a busy machine must not time out.
        try (Fixture fixture = new Fixture(Fixture.fastConfig().heartbeatIntervalMs(2000).heartbeatTimeoutMs(20_000).build())) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<TestClient>> joins = new ArrayList<>();
            for (int i = 0; i < JOINERS; i++) {
                int n = i;
                joins.add(pool.submit(() -> fixture.join(session, "j" + n)));
            }
            List<TestClient> joined = new ArrayList<>();
            for (Future<TestClient> join : joins) {
                joined.add(join.get());
            }
            pool.shutdown();
            for (TestClient client : joined) {
                observer.awaitEvent(ConnectionEventsTest.created(client.id()), TestClient.TIMEOUT);
            }

            List<JsonNode> events = observer.events();
            assertEquals(JOINERS, events.size());
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i + 1, events.get(i).path("seq").asLong());
            }
            long frames = observer.messages().stream().filter(m -> m.path("type").asText().equals("events")).count();
            String metrics = fixture.get("/metrics").body();
            System.out.printf("join storm of %d: observer got %d events in %d frames; server-wide %d events in %d frames, %d batched%n",
                    JOINERS, events.size(), frames, HttpApiTest.metric(metrics, "rollcall_events_sent_total"),
                    HttpApiTest.metric(metrics, "rollcall_frames_sent_total"),
                    HttpApiTest.metric(metrics, "rollcall_events_batched_total"));
            assertTrue(frames <= JOINERS);
        }
    }

    @Test
    void aLoneEventReachesTheOthersAsFastAsTheJoinerHearsBack() {
        try (Fixture fixture = new Fixture()) {
            String session = Fixture.newSession();
            TestClient observer = fixture.join(session, "observer");
            int rounds = 10;
            long[] observerMicros = new long[rounds];
            long[] joinerMicros = new long[rounds];
            for (int i = 0; i < rounds; i++) {
                TestClient joiner = fixture.open();
                long start = System.nanoTime();
                joiner.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, fixture.token(session, "j"), false));
                joiner.awaitConnected();
                joinerMicros[i] = (System.nanoTime() - start) / 1000;
                observer.awaitEvent(ConnectionEventsTest.created(joiner.id()), TestClient.TIMEOUT);
                observerMicros[i] = (System.nanoTime() - start) / 1000;
                joiner.close();
                observer.awaitEvent(ConnectionEventsTest.destroyed(joiner.id()), TestClient.TIMEOUT);
            }
            Arrays.sort(observerMicros);
            Arrays.sort(joinerMicros);
            System.out.printf("lone event: connect sent -> joiner's connected median %d us, observer's event median %d us%n",
                    joinerMicros[rounds / 2], observerMicros[rounds / 2]);
            assertTrue(observerMicros[rounds / 2] < 50_000, "a lone event took " + observerMicros[rounds / 2] + " us");
        }
    }
}
