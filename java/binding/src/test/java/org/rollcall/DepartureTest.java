package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.PresenceTest.join;
import static org.rollcall.PresenceTest.newSessionId;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.DESTROYED;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A client whose process dies is reported as networkDisconnected once the grace period ends. */
@org.junit.jupiter.api.Timeout(60)
class DepartureTest {
    @Test
    void aKilledProcessIsANetworkDisconnect() throws Exception {
        try (TestServer server = TestServer.start()) {
            String sessionId = newSessionId();
            Recorder watcher = new Recorder();
            try (Session observer = join(server, sessionId, "observer", watcher)) {
                Process child = startClient(server, sessionId);
                try {
                    String line = readLine(child);
                    assertTrue(line.startsWith("connected "), "child said: " + line);
                    String childId = line.substring("connected ".length());
                    assertEquals(childId, watcher.next(CREATED).connection().getConnectionId());

                    long killed = System.nanoTime();
                    child.destroyForcibly(); // SIGKILL: no close frame, the kernel closes the socket
                    assertTrue(child.waitFor(10, TimeUnit.SECONDS));

                    Connection left = watcher.next(DESTROYED).connection();
                    long reportedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    assertEquals(childId, left.getConnectionId());
                    assertEquals(Optional.of(DropReason.NETWORK_DISCONNECTED), left.getDropReason());
                    assertTrue(reportedMs >= 400, "not before the 500 ms grace: " + reportedMs + " ms");
                    assertEquals(List.of(), observer.getConnections());
                } finally {
                    child.destroyForcibly();
                }
            }
        }
    }

    private static Process startClient(TestServer server, String sessionId) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java,
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"),
                JoinAndWait.class.getName(),
                server.uri().toString(), TestServer.API_KEY, sessionId, server.token(sessionId, "child"))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String readLine(Process process) throws Exception {
        BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = reader.readLine();
        assertTrue(line != null, "the child exited without a word");
        return line;
    }
}
