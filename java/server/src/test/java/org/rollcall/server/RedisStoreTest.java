package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link RedisStore} against a real redis-server: answers reach their executor in the order Redis
 * ran the commands. A session's owner loop relies on it: the first join answer it applies starts
 * the node's copy of the session, and a join answered earlier but applied later was behind that
 * copy (its member was closed: the flaky ScaleOutTest of the 02c1ce0 fresh-clone run, whose log
 * shows "attached behind this node's log").
 */
class RedisStoreTest {
    @Test
    void answersReachTheExecutorInTheOrderRedisRanThemEvenIfTheSenderStalls() throws Exception {
        ExecutorService owner = Executors.newSingleThreadExecutor();
        try (RedisProcess redis = RedisProcess.start(); RedisStore store = new RedisStore(redis.uri(), new Metrics())) {
            List<String> applied = new CopyOnWriteArrayList<>();
            CountDownLatch bothApplied = new CountDownLatch(2);
            CountDownLatch firstSent = new CountDownLatch(1);
            Thread stalled = new Thread(() -> store.run(RedisStore.Script.LIST, owner,
                    (reply, error) -> { applied.add("first"); bothApplied.countDown(); }, "rc:{a/s}:"));
            RedisStore.stallAfterSendForTests = () -> {
                if (Thread.currentThread() == stalled) {
                    firstSent.countDown();
                    RedisProcess.sleepMs(300); // preempted after sending, while the second is answered
                }
            };
            stalled.start();
            firstSent.await(10, TimeUnit.SECONDS);
            store.run(RedisStore.Script.LIST, owner, (reply, error) -> { applied.add("second"); bothApplied.countDown(); },
                    "rc:{a/s}:");
            bothApplied.await(10, TimeUnit.SECONDS);
            stalled.join();
            assertEquals(List.of("first", "second"), applied);
        } finally {
            RedisStore.stallAfterSendForTests = null;
            owner.shutdownNow();
        }
    }
}
