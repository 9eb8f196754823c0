package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client (the JDK's) that keeps every JSON message it receives, and the events of
 * {@code events} frames in order, and lets a test wait for one.
 */
final class TestClient implements AutoCloseable {
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final List<JsonNode> messages = new ArrayList<>();
    private final List<JsonNode> events = new ArrayList<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private WebSocket webSocket;
    private JsonNode connected;

    /** Opens the WebSocket; sends nothing. */
    static TestClient open(URI uri) {
        return open(HTTP, uri);
    }

    static TestClient open(HttpClient http, URI uri) {
        TestClient client = new TestClient();
        client.webSocket = http.newWebSocketBuilder().buildAsync(uri, client.listener())
                .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
        return client;
    }

    /** Opens, sends {@code connect} and waits for {@code connected}. */
    static TestClient connect(URI uri, String apiKey, String sessionId, String token) {
        TestClient client = open(uri);
        client.send(connectFrame(apiKey, sessionId, token, false));
        client.awaitConnected();
        return client;
    }

    static String connectFrame(String apiKey, String sessionId, String token, boolean suppressEvents) {
        return JSON.createObjectNode().put("type", "connect").put("apiKey", apiKey).put("sessionId", sessionId)
                .put("token", token).put("suppressEvents", suppressEvents).toString();
    }

    static String resumeFrame(String apiKey, String sessionId, String connectionId, String resumeToken, long lastSeq) {
        return JSON.createObjectNode().put("type", "resume").put("apiKey", apiKey).put("sessionId", sessionId)
                .put("connectionId", connectionId).put("resumeToken", resumeToken).put("lastSeq", lastSeq).toString();
    }

    JsonNode awaitConnected() {
        JsonNode frame = awaitMessage(m -> m.path("type").asText().equals("connected") || isError(m), TIMEOUT);
        if (isError(frame)) {
            throw new AssertionError("connect refused: " + frame);
        }
        synchronized (this) {
            connected = frame;
        }
        return frame;
    }

    private static boolean isError(JsonNode message) {
        return message.path("type").asText().equals("error");
    }

    synchronized JsonNode connected() {
        return connected;
    }

    String id() {
        return connected().path("connection").path("id").asText();
    }

    void send(String text) {
        webSocket.sendText(text, true).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    void sendBinary(byte[] bytes) {
        webSocket.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** The first message so far or to come that matches. */
    JsonNode awaitMessage(Predicate<JsonNode> match, Duration timeout) {
        return awaitIn(messages, match, timeout, "message");
    }

    /** The first event so far or to come that matches. */
    JsonNode awaitEvent(Predicate<JsonNode> match, Duration timeout) {
        return awaitIn(events, match, timeout, "event");
    }

    JsonNode awaitError() {
        return awaitMessage(TestClient::isError, TIMEOUT);
    }

    /** Waits until the server closed the socket; the close status, or -1 if it broke without one. */
    int awaitClose() {
        return closed.orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    boolean isClosed() {
        return closed.isDone();
    }

    synchronized List<JsonNode> events() {
        return new ArrayList<>(events);
    }

    synchronized List<JsonNode> messages() {
        return new ArrayList<>(messages);
    }

    /** Graceful: a close frame, then waits for the server's. */
    @Override
    public void close() {
        if (!closed.isDone() && !webSocket.isOutputClosed()) {
            try {
                webSocket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
                closed.completeOnTimeout(-1, 5, TimeUnit.SECONDS).join();
            } catch (RuntimeException e) {
                // already broken: nothing to close
            }
        }
        webSocket.abort();
    }

    /** Abrupt: the TCP connection goes without a close frame. */
    void abort() {
        webSocket.abort();
    }

    private synchronized JsonNode awaitIn(List<JsonNode> list, Predicate<JsonNode> match, Duration timeout,
                                          String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        int checked = 0;
        while (true) {
            for (; checked < list.size(); checked++) {
                if (match.test(list.get(checked))) {
                    return list.get(checked);
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no matching " + what + " within " + timeout + "; got " + list);
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    private synchronized void received(String text) {
        JsonNode message;
        try {
            message = JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("server sent malformed JSON: " + text, e);
        }
        messages.add(message);
        if (message.path("type").asText().equals("events")) {
            message.path("events").forEach(events::add);
        }
        notifyAll();
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            private final StringBuilder parts = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                parts.append(data);
                if (last) {
                    received(parts.toString());
                    parts.setLength(0);
                }
                webSocket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
                closed.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket webSocket, Throwable error) {
                closed.complete(-1);
            }
        };
    }
}
