package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One node loses Redis while the others keep it (docs/scale-out.md, "Redis failure"): through a
 * {@link TcpProxy} between that node and a real redis-server, its channel misses events while its
 * commands still work, or it is cut off altogether past its lease.
 */
class RedisCutTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** What a client that joined (or got a snapshot) holds now: its roster, then the events. */
    static Set<String> view(TestClient client) {
        Set<String> ids = new HashSet<>();
        client.connected().path("connections").forEach(c -> ids.add(c.path("id").asText()));
        for (JsonNode event : client.events()) {
            String id = event.path("connection").path("id").asText();
            if (event.path("type").asText().equals("connectionCreated")) {
                assertTrue(ids.add(id), "created twice: " + id + " in " + client.events());
            } else {
                assertTrue(ids.remove(id), "destroyed without being there: " + id + " in " + client.events());
            }
        }
        return ids;
    }

    /** Drops every node's pub/sub connection; the node behind {@code proxy} cannot reconnect until it allows. */
    private static void dropChannelsBehind(Cluster cluster, TcpProxy proxy) {
        proxy.refuseNew(true);
        cluster.redis.command("CLIENT", "KILL", "TYPE", "pubsub");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (cluster.redis.command("CLIENT", "LIST", "TYPE", "pubsub").equals("$0")) { // node 0 resubscribes
            assertTrue(System.nanoTime() < deadline, "node 0 did not resubscribe");
            RedisProcess.sleepMs(20);
        }
    }

    @Test
    void aQuietSessionCatchesUpOnWhatItsChannelMissedWhenTheChannelIsBack() {
        ServerConfig config = Fixture.fastConfig().build();
        try (Cluster cluster = new Cluster(1, config, 1000); TcpProxy proxy = new TcpProxy(cluster.redis.port)) {
            cluster.addNode(config, 1000, proxy.redisUri());
            String session = Fixture.newSession();
            TestClient quiet = cluster.join(1, session, "quiet");
            TestClient b = cluster.join(0, session, "b");
            quiet.awaitEvent(e -> ScaleOutTest.created(e, b.id()), WAIT);
            dropChannelsBehind(cluster, proxy);
            TestClient c = cluster.join(0, session, "c"); // node 1's channel is down: it misses this
            b.awaitEvent(e -> ScaleOutTest.created(e, c.id()), WAIT);
            proxy.refuseNew(false); // and no later event: only the resubscription can tell node 1
            quiet.awaitEvent(e -> ScaleOutTest.created(e, c.id()), WAIT);
            assertEquals(Set.of(b.id(), c.id()), view(quiet));
            assertFalse(quiet.isClosed());
        }
    }

    @Test
    void aGapTheStreamNoLongerHoldsMakesTheNodesClientsResumeIntoASnapshotWithoutGhost() {
        ServerConfig config = Fixture.fastConfig().build();
        try (Cluster cluster = new Cluster(1, config, 1000); TcpProxy proxy = new TcpProxy(cluster.redis.port)) {
            cluster.addNode(config, 1000, proxy.redisUri());
            String session = Fixture.newSession();
            TestClient quiet = cluster.join(1, session, "quiet");
            TestClient gone = cluster.join(1, session, "gone");
            TestClient b = cluster.join(0, session, "b");
            quiet.awaitEvent(e -> ScaleOutTest.created(e, b.id()), WAIT);
            dropChannelsBehind(cluster, proxy);
            TestClient c = cluster.join(0, session, "c");
            b.awaitEvent(e -> ScaleOutTest.created(e, c.id()), WAIT);
            cluster.redis.command("XTRIM", "rc:{" + Fixture.APP.apiKey() + "/" + session + "}:log", "MAXLEN", "0");
            proxy.refuseNew(false);

            quiet.awaitClose(); // node 1 cannot fill its gap: it drops its copy and closes the sockets
            gone.awaitClose();  // whose client does not come back
            TestClient back = cluster.resume(1, session, quiet);
            JsonNode connected = back.awaitConnected();
            assertEquals(quiet.id(), back.id(), "the same connection");
            assertFalse(connected.path("replay").asBoolean(), "a snapshot: the log no longer reaches back");
            assertEquals("networkDisconnected",
                    b.awaitEvent(e -> ScaleOutTest.destroyed(e, gone.id()), WAIT).path("reason").asText());
            if (view(back).contains(gone.id())) { // its snapshot came before the grace's end
                back.awaitEvent(e -> ScaleOutTest.destroyed(e, gone.id()), WAIT);
            }
            TestClient d = cluster.join(0, session, "d"); // after anything node 1 might have ended with gone
            b.awaitEvent(e -> ScaleOutTest.created(e, d.id()), WAIT);
            back.awaitEvent(e -> ScaleOutTest.created(e, d.id()), WAIT);
            assertEquals(Set.of(b.id(), c.id(), d.id()), view(back), "no ghost, no duplicate");
            assertEquals(Set.of(quiet.id(), c.id(), d.id()), view(b), "the resumed one never left");
            for (int node = 0; node < 2; node++) {
                assertEquals(Set.of(b.id(), c.id(), d.id(), quiet.id()), new HashSet<>(cluster.listed(node, session)));
            }
        }
    }

    @Test
    void aNodeCutOffPastItsLeaseClosesItsSocketsAndTheOthersReapItsMembers() {
        // lease 1 s, silent grace 2.5 s: the cut node closes its sockets at about 1 s, the others
        // reap what has not resumed elsewhere at about 3.5 s (room for a busy machine in between).
        ServerConfig config = Fixture.fastConfig().graceSilentMs(2500).build();
        try (Cluster cluster = new Cluster(2, config, 1000); TcpProxy proxy = new TcpProxy(cluster.redis.port)) {
            cluster.addNode(config, 1000, proxy.redisUri());
            String session = Fixture.newSession();
            TestClient watcher = cluster.join(0, session, "watcher");
            TestClient lost = cluster.join(2, session, "lost");
            TestClient mover = cluster.join(2, session, "mover");
            watcher.awaitEvent(e -> ScaleOutTest.created(e, mover.id()), WAIT);

            long cutAt = System.nanoTime();
            proxy.cut();
            for (TestClient client : List.of(lost, mover)) {
                JsonNode error = client.awaitMessage(m -> m.path("type").asText().equals("error"), WAIT);
                assertEquals(1023, error.path("code").asInt(), error.toString());
                assertTrue(error.path("retryAfterMs").asLong() > 0, error.toString());
            }
            System.out.println("RedisCutTest: the cut node closed its sockets after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt) + " ms");
            TestClient resumed = cluster.resume(1, session, mover);
            assertEquals(mover.id(), resumed.awaitConnected().path("connection").path("id").asText());

            JsonNode gone = watcher.awaitEvent(e -> ScaleOutTest.destroyed(e, lost.id()), WAIT);
            System.out.println("RedisCutTest: the others reported the cut node's member after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutAt) + " ms (lease 1000 + grace 2500)");
            assertEquals("networkDisconnected", gone.path("reason").asText());
            resumed.awaitEvent(e -> ScaleOutTest.destroyed(e, lost.id()), WAIT);
            assertEquals(Set.of(mover.id()), view(watcher), "the resumed one never left");
            assertEquals(Set.of(watcher.id(), mover.id()), new HashSet<>(cluster.listed(0, session)));

            proxy.refuseNew(false); // the cut heals: the node serves again, with no ghost
            TestClient late = cluster.joinOnceServed(2, session, "late");
            assertEquals(Set.of(watcher.id(), mover.id()), view(late));
            watcher.awaitEvent(e -> ScaleOutTest.created(e, late.id()), WAIT);
            assertEquals(Set.of(mover.id(), late.id()), view(watcher));
            assertEquals(Set.of(watcher.id(), mover.id(), late.id()), new HashSet<>(cluster.listed(2, session)));
        }
    }
}
