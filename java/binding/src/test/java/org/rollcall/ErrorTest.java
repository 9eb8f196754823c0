package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rollcall.PresenceTest.newSessionId;
import static org.rollcall.Recorder.Type.CONNECTED;
import static org.rollcall.Recorder.Type.CREATED;
import static org.rollcall.Recorder.Type.ERROR;

import java.net.ServerSocket;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/** Failures reach onError with OpenTok's codes; the session stays usable. */
class ErrorTest {
    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static RollcallException failedConnect(Session.Builder builder, String token) throws InterruptedException {
        Recorder events = new Recorder();
        try (Session session = events.attach(builder).build()) {
            session.connect(token);
            RollcallException error = events.next(ERROR).error();
            assertNull(session.getConnection());
            assertEquals(List.of(), events.unread(), "a failed first attempt ends with onError alone");
            return error;
        }
    }

    @Test
    void aMalformedTokenIsAnAuthorizationFailure() throws Exception {
        RollcallException error = failedConnect(server.session(newSessionId()), "rc1.not.valid");
        assertEquals(RollcallException.AUTHORIZATION_FAILURE, error.getCode());
        assertEquals(1004, error.getCode());
    }

    @Test
    void libotcLogsReachSlf4jUnderOrgRollcallNative() throws Exception {
        // The surefire configuration shows org.rollcall.native at INFO; libotc logs errors at INFO.
        String log = StandardError.capture(() -> failedConnect(server.session(newSessionId()), "rc1.not.valid"));
        assertTrue(log.lines().anyMatch(line -> line.contains("INFO org.rollcall.native - ") && line.contains("error 1004")),
                log);
    }

    @Test
    void aForgedTokenIsAnAuthorizationFailure() throws Exception {
        String sessionId = newSessionId();
        String forged = new TokenGenerator(TestServer.API_KEY, "not-the-secret").generate(sessionId);
        assertEquals(1004, failedConnect(server.session(sessionId), forged).getCode());
    }

    @Test
    void aTokenForAnotherSessionIsAnAuthorizationFailure() throws Exception {
        assertEquals(1004, failedConnect(server.session(newSessionId()), server.token(newSessionId(), "")).getCode());
    }

    @Test
    void aMalformedSessionIdIsAnInvalidSession() throws Exception {
        String token = server.token(newSessionId(), "");
        RollcallException error = failedConnect(server.session("no spaces allowed"), token);
        assertEquals(RollcallException.INVALID_SESSION, error.getCode());
    }

    @Test
    void noServerIsAConnectionFailure() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Session.Builder builder = new Session.Builder(URI.create("ws://127.0.0.1:" + closedPort), TestServer.API_KEY, "room");
        RollcallException error = failedConnect(builder, server.token("room", ""));
        assertEquals(RollcallException.CONNECTION_FAILED, error.getCode());
    }

    @Test
    void afterAFailedAttemptTheSessionCanConnect() throws Exception {
        String sessionId = newSessionId();
        Recorder events = new Recorder();
        try (Session session = events.attach(server.session(sessionId)).build();
                Session other = PresenceTest.join(server, sessionId, "other", new Recorder())) {
            session.connect("rc1.bad.token");
            assertEquals(1004, events.next(ERROR).error().getCode());

            session.connect(server.token(sessionId, "second try"));
            events.next(CONNECTED);
            assertEquals(other.getConnection(), events.next(CREATED).connection());
        }
    }

    @Test
    void connectingTwiceIsAnIllegalState() throws Exception {
        String sessionId = newSessionId();
        try (Session session = PresenceTest.join(server, sessionId, "", new Recorder())) {
            assertThrows(IllegalStateException.class, () -> session.connect(server.token(sessionId, "")));
        }
    }
}
