package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A storm sheds at the node instead of queuing on Redis (issue 15): past
 * {@link RedisPresence#MAX_ADMITTING} joins waiting on Redis, a newcomer is refused at once with
 * 1023 and a retry hint; the ones admitted are served when Redis answers. The old server queued
 * them all on the shared connection, where a storm's joins timed out and were retried.
 */
class JoinSheddingTest {
    @Test
    void joinsPastTheAdmissionLimitAreRefusedAtOnceWhileTheOthersWaitOnRedis() {
        int extra = 6;
        int total = RedisPresence.MAX_ADMITTING + extra;
        // A long lease: the paused renewals must not make the node refuse everyone as Redis lost.
        try (Cluster cluster = new Cluster(1, Fixture.fastConfig().build(), 30_000)) {
            String session = Fixture.newSession();
            List<TestClient> clients = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                clients.add(cluster.track(TestClient.open(cluster.ws(0))));
            }
            cluster.join(0, session, "first"); // subscribed: what follows is one script per join
            long before = ScaleOutTest.roundTrips(cluster, "join");
            cluster.redis.command("CLIENT", "PAUSE", "60000", "WRITE"); // Redis holds every script
            try {
                for (int i = 0; i < RedisPresence.MAX_ADMITTING; i++) {
                    clients.get(i).send(TestClient.connectFrame(Fixture.APP.apiKey(), session,
                            cluster.token(session, "c" + i), false));
                }
                long deadline = System.nanoTime() + TestClient.TIMEOUT.toNanos();
                while (ScaleOutTest.roundTrips(cluster, "join") - before < RedisPresence.MAX_ADMITTING) {
                    assertTrue(System.nanoTime() < deadline, "the admitted joins did not reach Redis");
                    Thread.onSpinWait(); // until every admitted join waits on Redis
                }
                for (int i = RedisPresence.MAX_ADMITTING; i < total; i++) {
                    clients.get(i).send(TestClient.connectFrame(Fixture.APP.apiKey(), session,
                            cluster.token(session, "c" + i), false));
                }
                for (int i = RedisPresence.MAX_ADMITTING; i < total; i++) {
                    JsonNode refused = clients.get(i).awaitError();
                    assertEquals(1023, refused.path("code").asInt(), refused.toString());
                    assertTrue(refused.path("retryAfterMs").asLong() > 0, refused.toString());
                    // Refused for the limit, not for a join that timed out waiting (the old server).
                    assertTrue(refused.path("message").asText().contains("too many"), refused.toString());
                }
            } finally {
                cluster.redis.command("CLIENT", "UNPAUSE");
            }
            for (int i = 0; i < RedisPresence.MAX_ADMITTING; i++) {
                clients.get(i).awaitConnected();
            }
        }
    }
}
