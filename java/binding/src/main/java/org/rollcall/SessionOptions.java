package org.rollcall;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.bytedeco.javacpp.BytePointer;
import org.rollcall.binding.OtcLib;

/** What a {@link Session.Builder} collects: checked as it is set, turned into libotc settings. */
final class SessionOptions {
    /** Where the server takes WebSocket connections when the URI has no path (docs/protocol.md). */
    static final String DEFAULT_PATH = "/v1/ws";
    static final int DEFAULT_QUEUE_CAPACITY = 16_384;

    final String serverUrl;
    final String apiKey;
    final String sessionId;
    int heartbeatIntervalMs;
    int heartbeatTimeoutMs;
    int initialBackoffMs = -1;
    int maxBackoffMs;
    int giveUpAfterMs;
    boolean connectionEventsSuppressed;
    Executor executor;
    boolean deliverOnLibraryThread;
    int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    Session.ConnectionListener connectionListener;
    Session.SessionListener sessionListener;
    Session.ReconnectionListener reconnectionListener;

    SessionOptions(URI serverUri, String apiKey, String sessionId) {
        this.serverUrl = webSocketUrl(Objects.requireNonNull(serverUri, "serverUri"));
        this.apiKey = notEmpty(apiKey, "apiKey");
        this.sessionId = notEmpty(sessionId, "sessionId");
        Utf8.encode(apiKey, "apiKey");
        Utf8.encode(sessionId, "sessionId");
    }

    void heartbeat(Duration interval, Duration timeout) {
        int intervalMs = positiveMillis(interval, "interval");
        int timeoutMs = positiveMillis(timeout, "timeout");
        if (timeoutMs <= intervalMs) {
            throw new IllegalArgumentException("heartbeat timeout must be longer than its interval");
        }
        heartbeatIntervalMs = intervalMs;
        heartbeatTimeoutMs = timeoutMs;
    }

    void reconnection(Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
        int initialMs = positiveMillis(initialBackoff, "initialBackoff");
        int maxMs = positiveMillis(maxBackoff, "maxBackoff");
        int giveUpMs = millis(giveUpAfter, "giveUpAfter");
        if (maxMs < initialMs) {
            throw new IllegalArgumentException("maxBackoff must not be shorter than initialBackoff");
        }
        initialBackoffMs = initialMs;
        maxBackoffMs = maxMs;
        giveUpAfterMs = giveUpMs;
    }

    void queueCapacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("queue capacity must be at least 1: " + capacity);
        }
        queueCapacity = capacity;
    }

    /** Settings for libotc; the caller deletes them. */
    OtcLib.otc_session_settings nativeSettings() {
        OtcLib.otc_session_settings settings = OtcLib.otc_session_settings_new();
        if (settings == null || settings.isNull()) {
            throw new OutOfMemoryError("otc_session_settings_new");
        }
        try (BytePointer url = Utf8.cString(serverUrl, "server URL")) {
            apply(OtcLib.otc_session_settings_set_server_url(settings, url), "server URL " + serverUrl);
            apply(OtcLib.otc_session_settings_set_connection_events_suppressed(
                    settings, connectionEventsSuppressed ? OtcLib.OTC_TRUE : OtcLib.OTC_FALSE), "suppression");
            if (heartbeatIntervalMs > 0) {
                apply(OtcLib.otc_session_settings_set_heartbeat(settings, heartbeatIntervalMs, heartbeatTimeoutMs),
                        "heartbeat");
            }
            if (initialBackoffMs > 0) {
                apply(OtcLib.otc_session_settings_set_reconnection(
                        settings, initialBackoffMs, maxBackoffMs, giveUpAfterMs), "reconnection");
            }
            return settings;
        } catch (RuntimeException | Error e) {
            OtcLib.otc_session_settings_delete(settings);
            throw e;
        }
    }

    private static void apply(int status, String what) {
        if (status != OtcLib.OTC_SUCCESS) {
            throw new IllegalArgumentException("libotc rejects the " + what + ": "
                    + NativeLibrary.statusString(status));
        }
    }

    static String webSocketUrl(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String webSocketScheme;
        switch (scheme) {
            case "ws":
            case "http":
                webSocketScheme = "ws";
                break;
            case "wss":
            case "https":
                webSocketScheme = "wss";
                break;
            default:
                throw new IllegalArgumentException("server URI must be ws://, wss://, http:// or https://: " + uri);
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("server URI has no host: " + uri);
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/")
                ? DEFAULT_PATH : uri.getRawPath();
        return webSocketScheme + "://" + uri.getHost() + (uri.getPort() == -1 ? "" : ":" + uri.getPort()) + path;
    }

    private static String notEmpty(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isEmpty()) {
            throw new IllegalArgumentException(name + " must not be empty");
        }
        return value;
    }

    private static int positiveMillis(Duration duration, String name) {
        int ms = millis(duration, name);
        if (ms == 0) {
            throw new IllegalArgumentException(name + " must be at least 1 ms");
        }
        return ms;
    }

    private static int millis(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " out of range: " + duration);
        }
        return (int) duration.toMillis();
    }
}
