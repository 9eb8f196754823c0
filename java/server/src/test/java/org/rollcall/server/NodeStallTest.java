package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * A node that is alive and reaches Redis, but whose worker loops stall (a join storm, a long GC of
 * their work, a starved machine), keeps its lease: the renewal runs on its own thread and its own
 * Redis connection, so the other nodes do not take it for dead and do not reap its live members
 * (issue 15: a storm over three nodes had them reap each other's members).
 */
class NodeStallTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long LEASE_MS = 1000;

    @Test
    void aNodeWhoseLoopsStallPastItsLeaseKeepsItsMembers() throws Exception {
        // The heartbeat timeout outlasts the stall: the members must not be dropped as silent either.
        ServerConfig config = Fixture.fastConfig().heartbeatTimeoutMs(20_000).build();
        try (Cluster cluster = new Cluster(2, config, LEASE_MS)) {
            String session = Fixture.newSession();
            TestClient watcher = cluster.join(0, session, "watcher");
            TestClient kept = cluster.join(1, session, "kept");
            watcher.awaitEvent(e -> ScaleOutTest.created(e, kept.id()), WAIT);

            // Stall every worker loop of node 1 for two leases plus the grace: long past the point
            // where node 0 reaps a node whose lease expired (lease + lease/4 + grace).
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch stalled = new CountDownLatch(count(cluster.nodes.get(1)));
            for (EventExecutor loop : cluster.nodes.get(1).workerLoops()) {
                loop.execute(() -> {
                    stalled.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            stalled.await();
            Thread.sleep(2 * LEASE_MS + config.graceSilentMs()); // the stall itself, not a wait for an outcome
            release.countDown();

            // Every event before late's join reaches the watcher before late's connectionCreated.
            TestClient late = cluster.join(0, session, "late");
            watcher.awaitEvent(e -> ScaleOutTest.created(e, late.id()), WAIT);
            assertFalse(watcher.events().stream().anyMatch(e -> ScaleOutTest.destroyed(e, kept.id())),
                    "node 1's member was reaped while node 1 was alive: " + watcher.events());
            assertEquals(Set.of(watcher.id(), kept.id()), RedisCutTest.view(late));
            assertFalse(kept.isClosed(), "node 1 kept its socket");
        }
    }

    private static int count(RollcallServer node) {
        int n = 0;
        for (EventExecutor ignored : node.workerLoops()) {
            n++;
        }
        return n;
    }
}
