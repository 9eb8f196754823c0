package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The documented exceptions and the value types; no server needed. */
class ApiTest {
    private static final URI SERVER = URI.create("ws://127.0.0.1:9");

    private static Session.Builder builder() {
        return new Session.Builder(SERVER, "key", "room");
    }

    @Test
    void builderRejectsBadArguments() {
        assertThrows(NullPointerException.class, () -> new Session.Builder(null, "key", "room"));
        assertThrows(NullPointerException.class, () -> new Session.Builder(SERVER, null, "room"));
        assertThrows(NullPointerException.class, () -> new Session.Builder(SERVER, "key", null));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(SERVER, "", "room"));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(SERVER, "key", ""));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(URI.create("ftp://host"), "key", "room"));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(URI.create("room"), "key", "room"));

        Duration second = Duration.ofSeconds(1);
        assertThrows(IllegalArgumentException.class, () -> builder().heartbeat(second, second));
        assertThrows(IllegalArgumentException.class, () -> builder().heartbeat(Duration.ZERO, second));
        assertThrows(NullPointerException.class, () -> builder().heartbeat(null, second));
        assertThrows(IllegalArgumentException.class, () -> builder().reconnection(second, Duration.ofMillis(10), second));
        assertThrows(IllegalArgumentException.class, () -> builder().reconnection(second, second, second.negated()));
        assertThrows(IllegalArgumentException.class, () -> builder().reconnection(Duration.ofDays(30), Duration.ofDays(30), second));
        assertThrows(NullPointerException.class, () -> builder().executor(null));
        assertThrows(IllegalArgumentException.class, () -> builder().eventQueueCapacity(0));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(SERVER, "key", "ro\0om"));
        assertThrows(IllegalArgumentException.class, () -> new Session.Builder(SERVER, "key\ud800", "room"));
    }

    @Test
    void serverUrisBecomeWebSocketUrls() {
        assertEquals("ws://127.0.0.1:8080/v1/ws", SessionOptions.webSocketUrl(URI.create("ws://127.0.0.1:8080")));
        assertEquals("ws://127.0.0.1:8080/v1/ws", SessionOptions.webSocketUrl(URI.create("http://127.0.0.1:8080/")));
        assertEquals("wss://example.com/v1/ws", SessionOptions.webSocketUrl(URI.create("https://example.com")));
        assertEquals("wss://example.com/custom/ws", SessionOptions.webSocketUrl(URI.create("wss://example.com/custom/ws")));
    }

    @Test
    void aNewSessionIsNotConnectedAndClosesQuietly() {
        Session session = builder().heartbeat(Duration.ofMillis(500), Duration.ofSeconds(2))
                .reconnection(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ZERO)
                .suppressConnectionEvents(true)
                .build();
        assertNull(session.getConnection());
        assertEquals(List.of(), session.getConnections());
        assertEquals("room", session.getSessionId());
        session.disconnect(); // not connected: nothing happens
        assertThrows(NullPointerException.class, () -> session.connect(null));
        assertThrows(IllegalArgumentException.class, () -> session.connect(""));
        session.close();
        session.close();
        assertThrows(IllegalStateException.class, () -> session.connect("token"));
        assertTrue(session.toString().contains("closed"), session.toString());
    }

    @Test
    void connectionsAreValuesEqualById() {
        Connection ann = new Connection("id-1", "name=ann", 1_764_445_200_123L, null);
        Connection sameId = new Connection("id-1", "other data", 1L, DropReason.CLIENT_DISCONNECTED);
        Connection other = new Connection("id-2", "name=ann", 1_764_445_200_123L, null);
        assertEquals(ann, sameId);
        assertEquals(ann.hashCode(), sameId.hashCode());
        assertNotEquals(ann, other);
        assertEquals(Instant.ofEpochMilli(1_764_445_200_123L), ann.getCreationTime());
        assertEquals(Optional.empty(), ann.getDropReason());
        assertEquals(Optional.of(DropReason.FORCE_DISCONNECTED), ann.dropped(DropReason.FORCE_DISCONNECTED, 0, Connection.NO_SEQ).getDropReason());
        assertEquals("Connection[id=id-1, data=name=ann, created=2025-11-29T19:40:00.123Z]", ann.toString());
        assertTrue(sameId.toString().endsWith("dropReason=CLIENT_DISCONNECTED]"), sameId.toString());
    }

    @Test
    void rollcallExceptionCarriesTheCode() {
        RollcallException e = new RollcallException(1004, "token signature does not match");
        assertEquals(RollcallException.AUTHORIZATION_FAILURE, e.getCode());
        assertEquals(ErrorCode.AUTHORIZATION_FAILURE, e.getErrorCode());
        assertEquals(ErrorCode.UNKNOWN, new RollcallException(4242, "new").getErrorCode());
        assertEquals(4242, new RollcallException(4242, "new").getCode());
        assertEquals("token signature does not match", e.getMessage());
    }

    @Test
    void dropReasonsFromLibotc() {
        assertEquals(DropReason.CLIENT_DISCONNECTED, DropReason.fromNative(1));
        assertEquals(DropReason.NETWORK_DISCONNECTED, DropReason.fromNative(2));
        assertEquals(DropReason.FORCE_DISCONNECTED, DropReason.fromNative(3));
        assertNull(DropReason.fromNative(0));
    }
}
