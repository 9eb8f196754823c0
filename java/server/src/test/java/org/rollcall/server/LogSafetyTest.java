package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client sends cannot forge or flood the log. The log is slf4j-simple's stderr, which it
 * looks up on every line, so the test reads it by swapping {@link System#err}.
 */
class LogSafetyTest {
    private static final long WAIT_MS = TestClient.TIMEOUT.toMillis();
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void captureStderr() {
        originalErr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(originalErr);
        originalErr.print(log()); // still visible in the test's report
    }

    private synchronized String log() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    private List<String> lines(String containing) {
        return Arrays.stream(log().split("\n")).filter(line -> line.contains(containing)).toList();
    }

    @Test
    void aNewlineInTypeAppearsEscaped() throws Exception {
        try (Fixture fixture = new Fixture()) {
            String session = Fixture.newSession();
            TestClient mallory = fixture.join(session, "mallory");
            mallory.send("{\"type\":\"x\\nINFO org.rollcall.server.HttpApiHandler - admin login ok\\u001b[2J\"}");
            assertEquals(1011, mallory.awaitError().path("code").asInt());
            awaitLog("error 1011");

            List<String> offending = lines("error 1011");
            assertEquals(1, offending.size(), log());
            assertTrue(offending.get(0).contains("x\\nINFO org.rollcall.server.HttpApiHandler - admin login ok\\u001b[2J"),
                    offending.get(0));
            assertFalse(Arrays.stream(log().split("\n")).anyMatch(line -> line.startsWith("INFO")), "a forged line");
            assertFalse(log().contains("\u001b"), "a terminal escape reached the log");
        }
    }

    @Test
    void aFloodFromOneAddressLogsOncePerIntervalWithACount() throws Exception {
        long intervalMs = 1500;
        try (Fixture fixture = new Fixture(Fixture.fastConfig().build(),
                Fixture.lenientSecurity().warnIntervalMs(intervalMs).build())) {
            List<TestClient> flood = new ArrayList<>();
            TestClient first = fixture.open();
            first.send("{\"type\":\"flood-0\"}");
            first.awaitError();
            long start = System.nanoTime(); // after the first warning: its interval began before this
            flood.add(first);
            for (int i = 1; i < 30; i++) {
                TestClient client = fixture.open();
                client.send("{\"type\":\"flood-" + i + "\"}");
                flood.add(client);
            }
            flood.forEach(TestClient::awaitError); // each error is logged (or counted) before it is sent
            assertTrue(System.nanoTime() - start < Duration.ofMillis(intervalMs - 300).toNanos(),
                    "the flood took longer than one interval; the machine is too slow for this test");
            assertEquals(1, lines("error 1011").size(), log());

            // The next interval: one more line, which says how many were held back.
            TestClient next = fixture.open();
            long due = start + Duration.ofMillis(intervalMs).toNanos();
            long left = due - System.nanoTime();
            if (left > 0) {
                Thread.sleep(left / 1_000_000 + 1); // the interval is the thing under test: wait it out
            }
            next.send("{\"type\":\"after\"}");
            next.awaitError();
            awaitLog("29 more warnings");
            assertEquals(2, lines("error 1011").size(), log());
        }
    }

    private void awaitLog(String text) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (!log().contains(text)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no '" + text + "' in the log:\n" + log());
            }
            Thread.sleep(10); // the log has no event to wait on
        }
    }
}
