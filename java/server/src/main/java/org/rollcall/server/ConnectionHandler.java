package org.rollcall.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.rollcall.token.InvalidTokenException;
import org.rollcall.token.TokenClaims;
import org.rollcall.token.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol on one WebSocket: the first frame ({@code connect} or {@code resume}), heartbeats,
 * and how the socket ends. Runs on the socket's event loop only; membership changes go to
 * {@link Presence}, which answers through the socket's {@link Outbox}.
 */
final class ConnectionHandler {
    private static final Logger log = LoggerFactory.getLogger(ConnectionHandler.class);
    static final int PROTOCOL = 2;
    private static final long RETRY_AFTER_MS = 1000;

    /**
     * JOINING: the first frame is read and waits for its task. SILENT: lost to heartbeat silence,
     * left open through its grace for a close frame.
     */
    private enum State { AWAITING_FIRST_FRAME, JOINING, JOINED, SILENT, CLOSED }

    // Every idle socket holds one of these: a field here costs 18,000 sockets 140 KB. The server's
    // settings are read through `server`, not copied.
    private final Channel channel;
    private final ServerContext server;
    private final Outbox outbox;
    private State state = State.AWAITING_FIRST_FRAME;
    private SessionKey session;
    private boolean textHeartbeat;
    private long sinceNanos = System.nanoTime(); // the handshake, or since silent
    private long lastPingNanos;
    // What ClientFrames saw: kept here, a tick reads one object fewer. `reads` is only compared with
    // its value of a tick before, so an int does (8 B less a socket, with readsWhenSilent).
    private int reads;
    private long lastHeardNanos = sinceNanos;
    private long lastTalkNanos = Long.MIN_VALUE / 2;
    private int readsWhenSilent = -1;
    private long pendingBytes; // in the socket's outbound buffer at the last tick
    private long writtenBytes; // written to the socket by the last tick
    /** Its place in its loop's {@link Heartbeats} wheel. */
    int wheelIndex = -1;

    /** {@code wire}: where whole WebSocket frames are written from (see {@link Outbox}). */
    ConnectionHandler(Channel channel, ChannelHandlerContext wire, ServerContext server) {
        this.channel = channel;
        this.server = server;
        this.outbox = new Outbox(channel, wire, this, server.config(), server.outboundBudget());
    }

    /** A frame from the peer (from {@link ClientFrames}): life; {@code talk}: anything but a pong. */
    void heard(long now, boolean talk) {
        reads++;
        lastHeardNanos = now;
        if (talk) {
            lastTalkNanos = now;
        }
    }

    EventLoop loop() {
        return channel.eventLoop();
    }

    Channel channel() {
        return channel;
    }

    void onHandshake() {
        server.heartbeats().add(this);
    }

    void onText(String text) {
        if (state == State.AWAITING_FIRST_FRAME || state == State.JOINING) {
            // A first frame costs a JSON parse and a token check. It runs as a task, and the loop
            // runs tasks a few ms at a time between reads of its sockets, so a burst of joins cannot
            // hold up other sockets' pongs. Frames behind it follow it through the task queue.
            state = State.JOINING;
            loop().execute(() -> process(text));
            return;
        }
        process(text);
    }

    private void process(String text) {
        if (state == State.CLOSED || state == State.SILENT) {
            return; // a silent socket waits only for a close frame
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
                int protocol = Math.min(PROTOCOL, Math.max(1, message.path("protocol").asInt(1)));
                textHeartbeat = protocol >= 2 && "text".equals(message.path("heartbeat").asText(""));
                if (type.equals("connect")) {
                    connect(message, protocol);
                } else {
                    resume(message, protocol);
                }
                state = State.JOINED;
            }
            case "ping" -> { // v1 browsers
                requireJoined();
                channel.writeAndFlush(WsFrames.text(channel.alloc(), Json.PONG));
            }
            case "pong" -> requireJoined(); // the answer to our text ping: it is life, nothing more
            default -> {
                requireJoined();
                throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "unknown message type '" + type + "'");
            }
        }
    }

    private void connect(JsonNode message, int protocol) throws ProtocolException {
        SessionKey key = sessionKey(message);
        if (!server.connectLimiter().tryAcquire(((InetSocketAddress) channel.remoteAddress()).getAddress())) {
            // the limiter logs once per flooding address; not once per refused socket
            throw new ProtocolException(ErrorCode.CONNECTION_REFUSED, "too many new connections from this address");
        }
        if (server.heartbeats().overloaded() || server.outboundBudget().exceeded()) {
            throw new ProtocolException(ErrorCode.CONNECTION_REFUSED, "the server is overloaded; retry later");
        }
        App app = server.apps().get(key.apiKey());
        TokenClaims claims;
        try {
            claims = app.verifier().verify(requiredText(message, "token"), key.sessionId());
        } catch (InvalidTokenException e) {
            throw new ProtocolException(ErrorCode.of(e.code()), e.getMessage());
        }
        ConnectionInfo info = ConnectionInfo.of(UUID.randomUUID().toString(), claims.data(), System.currentTimeMillis());
        Member member = new Member(key, info, message.path("suppressEvents").asBoolean(false), claims.nonce(),
                claims.expiresAt().toEpochMilli());
        member.resumeToken(Tokens.randomString(24));
        session = key;
        server.presence().join(member, protocol, outbox);
    }

    private void resume(JsonNode message, int protocol) throws ProtocolException {
        SessionKey key = sessionKey(message);
        session = key;
        server.presence().resume(key, requiredText(message, "connectionId"), requiredText(message, "resumeToken"),
                protocol, message.path("epoch").asLong(0), message.path("lastSeq").asLong(-1), outbox);
    }

    /** The app and session a first frame names; 1004 for an unknown app, 1005 for a malformed session ID. */
    private SessionKey sessionKey(JsonNode message) throws ProtocolException {
        String apiKey = requiredText(message, "apiKey");
        String sessionId = requiredText(message, "sessionId");
        App app = server.apps().get(apiKey);
        if (app == null) {
            throw new ProtocolException(ErrorCode.AUTHORIZATION_FAILURE, "unknown API key");
        }
        if (!Tokens.isValidSessionId(sessionId)) {
            throw new ProtocolException(ErrorCode.INVALID_SESSION, "session ID is malformed");
        }
        // The app's own string and the live session's key: not one more copy of either per member.
        return server.presence().canonical(new SessionKey(app.apiKey(), sessionId));
    }

    private void requireJoined() throws ProtocolException {
        if (state != State.JOINED) {
            throw new ProtocolException(ErrorCode.INVALID_PARAMETER, "the first frame must be connect or resume");
        }
    }

    /** Every tick of the loop's heartbeat wheel. */
    void tick(long now) {
        ServerConfig config = server.config();
        switch (state) {
            case AWAITING_FIRST_FRAME -> {
                if (now - sinceNanos > TimeUnit.MILLISECONDS.toNanos(config.handshakeTimeoutMs())) {
                    // Refused with a retry hint, not timed out (1021, final to clients): the server
                    // cannot tell a socket held open without a word from a client whose own side is
                    // saturated (a storm that outruns the clients' CPU). The socket goes either way;
                    // a slow client comes back later instead of failing (protocol.md).
                    onError(ErrorCode.CONNECTION_REFUSED, "no connect or resume within "
                            + config.handshakeTimeoutMs() + " ms; retry later");
                }
            }
            case JOINED -> heartbeat(now, config);
            case SILENT -> {
                if (reads != readsWhenSilent) {
                    onRevived(now);
                } else if (now - sinceNanos > TimeUnit.MILLISECONDS.toNanos(config.graceSilentMs() + config.heartbeatTimeoutMs())) {
                    close(); // its grace ended long ago; the owner's word that it did was lost
                }
            }
            default -> { }
        }
    }

    private void heartbeat(long now, ServerConfig config) {
        if (outbox.stalledNanos(now) > TimeUnit.MILLISECONDS.toNanos(config.drainTimeoutMs())) {
            onSlowConsumer("outbound frames did not drain for " + config.drainTimeoutMs() + " ms");
            return;
        }
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(config.heartbeatIntervalMs());
        // Bytes were waiting in the socket's outbound buffer a tick ago (the kernel's buffers were
        // full), and the kernel has taken some since: the peer read them. It is alive, only behind:
        // a client catching up on a storm answers our pings late, as they wait behind the events it
        // has not read yet. A frozen peer reads nothing (protocol.md).
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        long pending = out == null ? 0 : out.totalPendingWriteBytes();
        long written = outbox.writtenBytes();
        if (pendingBytes > 0 && pendingBytes + (written - writtenBytes) > pending) {
            lastHeardNanos = now;
        }
        pendingBytes = pending;
        writtenBytes = written;
        if (now - lastHeardNanos > TimeUnit.MILLISECONDS.toNanos(config.heartbeatTimeoutMs())) {
            // Confirm on the next tick: a tick runs after an I/O round, which reads what a busy
            // loop left waiting in the socket. Only if that brought nothing is the peer silent.
            if (readsWhenSilent == reads) {
                onSilence(now);
                return;
            }
            readsWhenSilent = reads;
        } else {
            readsWhenSilent = -1;
        }
        boolean talking = now - lastTalkNanos < intervalNanos;
        if (!talking && now - lastPingNanos >= intervalNanos && channel.isWritable()) {
            lastPingNanos = now;
            outbox.writeControl(textHeartbeat ? WsFrames.textPing() : WsFrames.ping());
        }
    }

    /** A close frame: the client leaves at once, also from silent grace. */
    void onCloseFrame(int status) {
        if (state == State.CLOSED) {
            channel.close(); // the answer to our own close frame: the close handshake is done
            return;
        }
        if (state == State.JOINED || state == State.SILENT) {
            server.presence().leave(session, outbox, Reason.CLIENT_DISCONNECTED);
        }
        end();
        channel.writeAndFlush(WsFrames.close(channel.alloc(), 1000, "bye")).addListener(ChannelFutureListener.CLOSE);
        Sockets.closeSoon(channel);
    }

    /**
     * No frame for the heartbeat timeout: lost, with the longer grace. The socket stays open, its
     * frames kept: a close frame on it still means a clean leave, and a client that was only frozen
     * and speaks again within the grace goes on where it was (see {@link #onRevived}).
     */
    private void onSilence(long now) {
        log.debug("{} silent for {} ms", channel.remoteAddress(), server.config().heartbeatTimeoutMs());
        server.presence().socketLost(session, outbox, server.config().graceSilentMs(), true);
        state = State.SILENT;
        sinceNanos = now;
        readsWhenSilent = reads;
    }

    /**
     * The silent socket spoke (a thawed client answering the pings it finds waiting): without this,
     * it would learn that it lost its connection only from its own silence timeout, which may end
     * after its grace, and would have to join again as a new connection.
     */
    private void onRevived(long now) {
        log.debug("{} spoke again within its silent grace", channel.remoteAddress());
        state = State.JOINED;
        readsWhenSilent = -1;
        lastPingNanos = now;
        server.presence().revive(session, outbox);
    }

    /** Closed without a close frame, or closed by the server: lost, with the short grace. */
    void onSocketClosed() {
        if (state == State.JOINED) {
            server.presence().socketLost(session, outbox, server.config().graceClosedMs(), false);
        }
        end();
    }

    /**
     * The socket drained: write what waits, in a task. Many sockets turn writable in one read of
     * the loop's events, and each may have a roster to encode; as tasks, the loop interleaves that
     * work with reads, a few ms at a time.
     */
    void onWritable() {
        loop().execute(outbox::drain);
    }

    /** Removed through the admin API (or resuming a removed connection): a final word, then close. */
    void onForceDisconnected(int protocol) {
        if (state == State.CLOSED) {
            return;
        }
        if (protocol < 2) { // v1 knows no terminal answer to a resume: an unknown connection
            onError(ErrorCode.CONNECT_FAILED, "connection was removed");
            return;
        }
        endWith(Json.disconnected(Reason.FORCE_DISCONNECTED), 1000, "forceDisconnected");
    }

    /** Another socket took over this connection, or its silent grace is over: close without a word. */
    void onSuperseded() {
        close();
    }

    void onSlowConsumer(String why) {
        onError(ErrorCode.SLOW_CONSUMER, why);
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
            server.security().warnings().warn(log, channel.remoteAddress(), "error {}: {}", code.code(), message);
        }
        server.metrics().error(code);
        if (state == State.JOINED || state == State.SILENT) {
            server.presence().leave(session, outbox, Reason.NETWORK_DISCONNECTED);
        }
        String frame = code == ErrorCode.CONNECTION_REFUSED ? Json.error(code, message, RETRY_AFTER_MS) : Json.error(code, message);
        endWith(frame, code.closeStatus(), Integer.toString(code.code()));
    }

    /**
     * Ends the socket with a last message and a close frame, and closes it soon. In the middle of a
     * roster's fragments the message cannot be one of its own (a text frame between two fragments
     * breaks the framing): then the close frame alone, a control frame, says why.
     */
    private void endWith(String lastMessage, int closeStatus, String closeReason) {
        boolean insideMessage = outbox.insideMessage();
        end();
        if (!insideMessage) {
            channel.write(WsFrames.text(channel.alloc(), lastMessage));
        }
        channel.writeAndFlush(WsFrames.close(channel.alloc(), closeStatus, closeReason));
        Sockets.closeSoon(channel);
    }

    void onInternalError(Throwable cause) {
        log.error("{}: internal error", channel.remoteAddress(), cause);
        onError(ErrorCode.INTERNAL_ERROR, "internal error");
    }

    private void close() {
        end();
        channel.close();
    }

    private void end() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        outbox.discard();
        server.heartbeats().remove(this);
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
