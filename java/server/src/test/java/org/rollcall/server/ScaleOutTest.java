package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Several nodes serve one session through a real redis-server (docs/scale-out.md): one order for
 * all, a force-disconnect from any node, O(1) Redis round trips per event, and no ghost after a
 * Redis restart. The kill -9 of a node process is in {@link NodeKillTest}.
 */
class ScaleOutTest {
    /** Generous for a cold JVM on a busy 2-core machine: awaits return as soon as the event is in. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    static boolean created(JsonNode event, String id) {
        return event.path("type").asText().equals("connectionCreated") && event.path("connection").path("id").asText().equals(id);
    }

    static boolean destroyed(JsonNode event, String id) {
        return event.path("type").asText().equals("connectionDestroyed") && event.path("connection").path("id").asText().equals(id);
    }

    /** The connection IDs a client was told of: its roster, then the created events. */
    static List<String> toldOf(TestClient client) {
        List<String> ids = new ArrayList<>();
        client.connected().path("connections").forEach(c -> ids.add(c.path("id").asText()));
        client.events().stream().filter(e -> e.path("type").asText().equals("connectionCreated"))
                .forEach(e -> ids.add(e.path("connection").path("id").asText()));
        return ids;
    }

    @Test
    void clientsAcrossNodesSeeEachOtherExactlyOnceInOneOrder() {
        try (Cluster cluster = new Cluster(3, Fixture.fastConfig().build(), 1000)) {
            String session = Fixture.newSession();
            List<TestClient> clients = IntStream.range(0, 12).parallel()
                    .mapToObj(i -> cluster.join(i % 3, session, "c" + i)).toList();
            Set<String> ids = new HashSet<>();
            clients.forEach(c -> ids.add(c.id()));
            assertEquals(12, ids.size());
            for (TestClient client : clients) {
                for (String other : ids) {
                    if (!other.equals(client.id()) && !toldOf(client).contains(other)) {
                        client.awaitEvent(e -> created(e, other), WAIT);
                    }
                }
            }
            List<TestClient> leaving = clients.subList(0, 3); // one on each node
            leaving.forEach(TestClient::close);
            List<TestClient> staying = clients.subList(3, clients.size());
            for (TestClient client : staying) {
                for (TestClient gone : leaving) {
                    JsonNode event = client.awaitEvent(e -> destroyed(e, gone.id()), WAIT);
                    assertEquals("clientDisconnected", event.path("reason").asText());
                }
            }
            Map<Long, String> bySeq = new HashMap<>();
            for (TestClient client : staying) {
                List<String> told = toldOf(client);
                assertEquals(11, told.size(), "told of each other exactly once: " + told);
                assertEquals(11, new HashSet<>(told).size(), "no duplicate: " + told);
                assertFalse(told.contains(client.id()), "never of itself");
                long last = client.connected().path("seq").asLong();
                assertEquals(staying.get(0).connected().path("epoch").asLong(),
                        client.connected().path("epoch").asLong(), "one epoch");
                for (JsonNode event : client.events()) {
                    long seq = event.path("seq").asLong();
                    assertTrue(seq > last, "seq goes up on every node: " + client.events());
                    last = seq;
                    String what = event.path("type").asText() + " " + event.path("connection").path("id").asText();
                    String before = bySeq.putIfAbsent(seq, what);
                    assertTrue(before == null || before.equals(what), "seq " + seq + " is one event for all: " + before + " / " + what);
                }
            }
            Set<String> left = new HashSet<>();
            staying.forEach(c -> left.add(c.id()));
            for (int node = 0; node < 3; node++) {
                assertEquals(left, new HashSet<>(cluster.listed(node, session)), "every node lists the session whole");
            }
        }
    }

    @Test
    void forceDisconnectThroughAnotherNodeReachesTheSocketAndSticks() {
        try (Cluster cluster = new Cluster(2, Fixture.fastConfig().build(), 1000)) {
            String session = Fixture.newSession();
            String token = cluster.token(session, "target");
            TestClient target = cluster.track(TestClient.connect(cluster.ws(0), Fixture.APP.apiKey(), session, token));
            TestClient watcher = cluster.join(1, session, "watcher");
            assertEquals(204, cluster.admin(1, "DELETE",
                    "/v1/admin/sessions/" + session + "/connections/" + target.id()).statusCode());
            JsonNode word = target.awaitMessage(m -> m.path("type").asText().equals("disconnected"), WAIT);
            assertEquals("forceDisconnected", word.path("reason").asText());
            assertEquals("forceDisconnected", watcher.awaitEvent(e -> destroyed(e, target.id()), WAIT).path("reason").asText());
            TestClient resumed = cluster.resume(1, session, target);
            assertEquals("forceDisconnected",
                    resumed.awaitMessage(m -> m.path("type").asText().equals("disconnected"), WAIT).path("reason").asText());
            TestClient again = cluster.track(TestClient.open(cluster.ws(1)));
            again.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, token, false));
            assertEquals(1004, again.awaitError().path("code").asInt());
        }
    }

    @Test
    void resumeThroughAnotherNodeKeepsTheIdAndReplaysWithTrueReasons() {
        try (Cluster cluster = new Cluster(2, Fixture.fastConfig().graceClosedMs(3000).build(), 1000)) {
            String session = Fixture.newSession();
            TestClient mover = cluster.join(0, session, "mover");
            TestClient brief = cluster.join(1, session, "brief");
            mover.awaitEvent(e -> created(e, brief.id()), WAIT);
            mover.abort(); // its grace starts on node 0
            TestClient gap = cluster.join(1, session, "gap");
            gap.close();   // joins and leaves during the gap
            brief.close();
            TestClient resumed = cluster.resume(1, session, mover);
            JsonNode connected = resumed.awaitConnected();
            assertEquals(mover.id(), connected.path("connection").path("id").asText());
            assertTrue(connected.path("replay").asBoolean(), connected.toString());
            assertEquals("clientDisconnected", resumed.awaitEvent(e -> destroyed(e, gap.id()), WAIT).path("reason").asText());
            assertTrue(resumed.events().stream().anyMatch(e -> created(e, gap.id())), "created before destroyed");
            assertEquals("clientDisconnected", resumed.awaitEvent(e -> destroyed(e, brief.id()), WAIT).path("reason").asText());
            // node 0's grace for the moved connection ends without ending it
            TestClient late = cluster.join(0, session, "late");
            RedisProcess.sleepMs(3500);
            assertEquals(List.of(mover.id()), toldOf(late));
            assertFalse(late.events().stream().anyMatch(e -> destroyed(e, mover.id())), late.events().toString());
        }
    }

    @Test
    void nothingIsLeftInRedisOnceASessionEmpties() {
        try (Cluster cluster = new Cluster(2, Fixture.fastConfig().build(), 1000)) {
            String session = Fixture.newSession();
            TestClient a = cluster.join(0, session, "a");
            TestClient b = cluster.join(1, session, "b");
            a.abort();
            TestClient moved = cluster.resume(1, session, a); // a connection that moved between nodes
            moved.awaitConnected();
            b.close();
            moved.close();
            String roster = "rc:{" + Fixture.APP.apiKey() + "/" + session + "}:r";
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!cluster.redis.command("EXISTS", roster).equals(":0") && System.nanoTime() < deadline) {
                RedisProcess.sleepMs(20);
            }
            assertEquals(":0", cluster.redis.command("EXISTS", roster), "the roster is gone");
            assertEquals("*0", cluster.redis.command("KEYS", "rc:n:*"), "no node lists the session any more");
            assertEquals("*0", cluster.redis.command("KEYS", "rc:{*}:log"), "its log is gone");
        }
    }

    @Test
    void redisRoundTripsPerEventDoNotGrowWithTheSession() {
        try (Cluster cluster = new Cluster(2, Fixture.fastConfig().build(), 1000)) {
            String session = Fixture.newSession();
            TestClient watcher = cluster.join(1, session, "watcher");
            for (int size : new int[] {2, 40}) {
                while (cluster.listed(0, session).size() < size) {
                    cluster.join((cluster.listed(0, session).size() + 1) % 2, session, "m");
                }
                long joins = roundTrips(cluster, "join");
                long leaves = roundTrips(cluster, "leave");
                long subscribes = roundTrips(cluster, "subscribe");
                TestClient one = cluster.join(0, session, "one");
                one.close();
                watcher.awaitEvent(e -> destroyed(e, one.id()), WAIT);
                assertEquals(1, roundTrips(cluster, "join") - joins, "one round trip per join at size " + size);
                assertEquals(1, roundTrips(cluster, "leave") - leaves, "one round trip per leave at size " + size);
                assertEquals(0, roundTrips(cluster, "subscribe") - subscribes, "the node was subscribed already");
            }
        }
    }

    static long roundTrips(Cluster cluster, String operation) {
        Matcher m = Pattern.compile("rollcall_redis_round_trips_total\\{op=\"" + operation + "\"} (\\d+)")
                .matcher(cluster.admin(0, "GET", "/metrics").body());
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void aRedisRestartLeavesNoGhost() {
        // A lease longer than Redis is away: the open sockets stay open meanwhile (past a lease, a
        // node closes them with 1023, see RedisCutTest).
        try (Cluster cluster = new Cluster(2, Fixture.fastConfig().build(), 5000)) {
            String session = Fixture.newSession();
            TestClient a = cluster.join(0, session, "a");
            TestClient b = cluster.join(1, session, "b");
            a.awaitEvent(e -> created(e, b.id()), WAIT);
            cluster.redis.kill();
            TestClient refused = cluster.track(TestClient.open(cluster.ws(0)));
            refused.send(TestClient.connectFrame(Fixture.APP.apiKey(), session, cluster.token(session, "x"), false));
            JsonNode error = refused.awaitError();
            assertEquals(1023, error.path("code").asInt(), error.toString());
            assertTrue(error.path("retryAfterMs").asLong() > 0, error.toString());
            assertFalse(a.isClosed() || b.isClosed(), "sockets stay open while Redis is away");
            cluster.redis.restart();
            a.awaitClose();
            b.awaitClose();
            // Each node serves again once it has heard from Redis (1023 until then).
            TestClient resumed = cluster.sendOnceServed(1, Cluster.resumeFrame(session, a));
            assertEquals(1006, resumed.awaitError().path("code").asInt(), "its state is gone: join again");
            TestClient a2 = cluster.joinOnceServed(0, session, "a");
            TestClient b2 = cluster.joinOnceServed(1, session, "b");
            assertEquals(List.of(a2.id()), toldOf(b2), "no ghost in a new roster");
            a2.awaitEvent(e -> created(e, b2.id()), WAIT);
            assertEquals(Set.of(a2.id(), b2.id()), new HashSet<>(cluster.listed(0, session)));
        }
    }
}
