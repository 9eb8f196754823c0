package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Jazzer fuzzes the server's decoding of client frames over real sockets (see {@link FrameFuzzer}).
 * The build sets {@code JAZZER_FUZZ=1} for this module, so {@code mvn test} fuzzes for
 * {@code maxDuration}; without it Jazzer replays the seeds in {@code FrameFuzzTestInputs} only.
 * An observer in a session of its own must notice nothing but what it should, and the server must
 * count no internal error.
 */
class FrameFuzzTest {
    private static Fixture fixture;
    private static FrameFuzzer fuzzer;
    private static TestClient observer;
    private static String observed;

    @BeforeAll
    static void start() {
        fixture = new Fixture(Fixture.fastConfig().maxFrameBytes(4096).build());
        fuzzer = new FrameFuzzer(fixture, Fixture.newSession());
        observed = Fixture.newSession();
        observer = fixture.join(observed, "observer");
    }

    @AfterAll
    static void stop() {
        try {
            BugDetectors.allowNetworkConnections();
            TestClient newcomer = fixture.join(observed, "newcomer");
            observer.awaitEvent(ConnectionEventsTest.created(newcomer.id()), TestClient.TIMEOUT);
            assertEquals(1, observer.events().size(), "the observer heard of the fuzz: " + observer.events());
            assertFalse(observer.isClosed());
            assertEquals(0, HttpApiTest.metric(fixture.get("/metrics").body(), "rollcall_errors_total{code=\"2000\"}"),
                    "internal errors after " + fuzzer.exchanges() + " exchanges");
            System.out.println("FrameFuzzTest: " + fuzzer.exchanges() + " exchanges with the server");
        } finally {
            fixture.close();
        }
    }

    @FuzzTest(maxDuration = "30s")
    void clientFrames(byte[] input) throws IOException {
        // The target is a client of a local server: its connections are the point, not a finding.
        // (Jazzer's hooks exist only once a fuzz test runs, and it resets them per run.)
        BugDetectors.allowNetworkConnections();
        fuzzer.exchange(input);
    }
}
