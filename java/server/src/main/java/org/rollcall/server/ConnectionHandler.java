package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.rollcall.token.InvalidTokenException;
import org.rollcall.token.TokenClaims;
import org.rollcall.token.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol on one WebSocket: the first frame ({@code connect} or {@code resume}), pings,
 * heartbeats, and how the socket ends. Runs on the socket's event loop only.
 */
final class ConnectionHandler {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);

    private enum State { AWAITING_FIRST_FRAME, JOINED, CLOSED }

    private final Channel channel;
    private final ServerContext server;
    private final ServerConfig config;
    private final Outbox outbox;
    private State state = State.AWAITING_FIRST_FRAME;
    private Member member;
    private ScheduledFuture<?> firstFrameTimer;
    private ScheduledFuture<?> heartbeat;

    ConnectionHandler(Channel channel, ServerContext server) {
        this.channel = channel;
        this.server = server;
        this.config = server.config();
        this.outbox = new Outbox(channel, config, server.metrics(), this::onSlowConsumer);
    }

    void onHandshake() {
        channel.pipeline().replace(RollcallServer.IDLE_HANDLER, RollcallServer.IDLE_HANDLER,
                new SilenceDetector(config.heartbeatTimeoutMs()));
        heartbeat = channel.eventLoop().scheduleAtFixedRate(this::heartbeat,
                config.heartbeatIntervalMs(), config.heartbeatIntervalMs(), TimeUnit.MILLISECONDS);
        if (!server.connectLimiter().tryAcquire(((InetSocketAddress) channel.remoteAddress()).getAddress())) {
            // the limiter logs once per flooding address; not once per refused socket
            onError(ErrorCode.CONNECTION_REFUSED, "too many new connections from this address");
            return;
        }
        firstFrameTimer = channel.eventLoop().schedule(
                () -> onError(ErrorCode.CONNECTION_TIMED_OUT, "no connect or resume in time"),
                config.handshakeTimeoutMs(), TimeUnit.MILLISECONDS);
    }

    void onText(String text) {
        if (state == State.CLOSED) {
            return;
        }
        try {
            handle(parse(text));
        } catch (ProtocolException e) {
            onError(e.code(), e.getMessage());
        }
    }

    private void handle(JsonNode message) throws ProtocolException {
        String type = message.path("type").asText("");
        switch (type) {
            case "connect", "resume" -> {
                if (state == State.JOINED) {
                    throw new ProtocolException(ErrorCode.ILLEGAL_STATE, "already connected");
                }
                firstFrameTimer.cancel(false);
                member = type.equals("connect") ? connect(message) : resume(message);
                state = State.JOINED;
            }
            case "ping" -> {
                requireJoined();
                channel.writeAndFlush(new TextWebSocketFrame(Json.PONG));
            }
            default -> {
                requireJoined();
                throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "unknown message type '" + type + "'");
            }
        }
    }

    private Member connect(JsonNode message) throws ProtocolException {
        SessionKey session = sessionKey(message);
        App app = server.apps().get(session.apiKey());
        TokenClaims claims;
        try {
            claims = app.verifier().verify(requiredText(message, "token"), session.sessionId());
        } catch (InvalidTokenException e) {
            throw new ProtocolException(ErrorCode.of(e.code()), e.getMessage());
        }
        ConnectionInfo info = ConnectionInfo.of(UUID.randomUUID().toString(), claims.data(), System.currentTimeMillis());
        boolean suppressEvents = message.path("suppressEvents").asBoolean(false);
        try {
            return server.presence().connect(session, info, suppressEvents, outbox);
        } catch (SessionRegistry.SessionFullException e) {
            throw new ProtocolException(ErrorCode.CONNECTION_LIMIT_EXCEEDED, e.getMessage());
        }
    }

    private Member resume(JsonNode message) throws ProtocolException {
        SessionKey session = sessionKey(message);
        return server.presence().resume(session, requiredText(message, "connectionId"),
                requiredText(message, "resumeToken"), outbox);
    }

    /** The app and session a first frame names; 1004 for an unknown app, 1005 for a malformed session ID. */
    private SessionKey sessionKey(JsonNode message) throws ProtocolException {
        String apiKey = requiredText(message, "apiKey");
        String sessionId = requiredText(message, "sessionId");
        if (!server.apps().containsKey(apiKey)) {
            throw new ProtocolException(ErrorCode.AUTHORIZATION_FAILURE, "unknown API key");
        }
        if (!Tokens.isValidSessionId(sessionId)) {
            throw new ProtocolException(ErrorCode.INVALID_SESSION, "session ID is malformed");
        }
        return new SessionKey(apiKey, sessionId);
    }

    private void requireJoined() throws ProtocolException {
        if (state != State.JOINED) {
            throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "the first frame must be connect or resume");
        }
    }

    /** A close frame: the client leaves at once. */
    void onCloseFrame(int status) {
        if (state == State.CLOSED) {
            channel.close(); // the answer to our own close frame: the close handshake is done
            return;
        }
        if (state == State.JOINED) {
            server.presence().leave(member, outbox, Reason.CLIENT_DISCONNECTED);
        }
        end();
        channel.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(ChannelFutureListener.CLOSE);
        Sockets.closeSoon(channel);
    }

    /** No frame for the heartbeat timeout: lost, with the longer grace. */
    void onSilence() {
        if (state != State.JOINED) {
            return; // before connect or resume the first-frame timer governs (protocol.md: 10 s, 1021)
        }
        log.debug("{} silent for {} ms", channel.remoteAddress(), config.heartbeatTimeoutMs());
        server.presence().socketLost(member, outbox, config.graceSilentMs());
        end();
        channel.close();
    }

    /** Closed without a close frame, or closed by the server: lost, with the short grace. */
    void onSocketClosed() {
        if (state == State.JOINED) {
            server.presence().socketLost(member, outbox, config.graceClosedMs());
        }
        end();
    }

    void onWritable() {
        outbox.flush();
    }

    /**
     * Sends the error frame and a close frame. A member ends at once: the server closed it, no grace.
     * The socket closes when the client answers the close frame, or after a short linger; until then
     * its input is read and dropped, so the client reads the error instead of a connection reset.
     */
    void onError(ErrorCode code, String message) {
        if (state == State.CLOSED) {
            return;
        }
        if (code == ErrorCode.CONNECT_FAILED || code == ErrorCode.CONNECTION_REFUSED) {
            log.debug("{}: error {}: {}", channel.remoteAddress(), code.code(), message);
        } else {
            log.warn("{}: error {}: {}", channel.remoteAddress(), code.code(), message);
        }
        server.metrics().error(code);
        if (state == State.JOINED) {
            server.presence().leave(member, outbox, Reason.NETWORK_DISCONNECTED);
        }
        end();
        channel.write(new TextWebSocketFrame(Json.error(code, message)));
        channel.writeAndFlush(new CloseWebSocketFrame(code.closeStatus(), Integer.toString(code.code())));
        Sockets.closeSoon(channel);
    }

    void onInternalError(Throwable cause) {
        log.error("{}: internal error", channel.remoteAddress(), cause);
        onError(ErrorCode.INTERNAL_ERROR, "internal error");
    }

    private void onSlowConsumer() {
        onError(ErrorCode.SLOW_CONSUMER, "outbound backlog over " + outbox.backlogLimit() + " bytes");
    }

    private void heartbeat() {
        if (outbox.backlogBytes() > outbox.backlogLimit()) {
            onSlowConsumer();
        } else if (channel.isWritable()) {
            channel.writeAndFlush(new PingWebSocketFrame());
        }
    }

    private void end() {
        state = State.CLOSED;
        outbox.discard();
        if (firstFrameTimer != null) {
            firstFrameTimer.cancel(false);
        }
        if (heartbeat != null) {
            heartbeat.cancel(false);
        }
    }

    private static JsonNode parse(String text) throws ProtocolException {
        try {
            JsonNode json = Json.parse(text);
            if (json == null || !json.isObject()) {
                throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "a message must be a JSON object");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "malformed JSON");
        }
    }

    private static String requiredText(JsonNode message, String field) throws ProtocolException {
        JsonNode value = message.get(field);
        if (value == null || !value.isTextual()) {
            throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "missing string field '" + field + "'");
        }
        return value.asText();
    }
}
