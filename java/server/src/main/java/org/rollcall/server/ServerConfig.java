package org.rollcall.server;

/**
 * The server's tunables: heartbeats, grace periods and limits. Defaults and their trade-offs are in
 * docs/server.md. Build with {@link #builder()}.
 *
 * @param heartbeatIntervalMs how often the server pings each socket
 * @param heartbeatTimeoutMs silence after which a socket is treated as lost
 * @param graceClosedMs grace after a socket closed without a close frame
 * @param graceSilentMs grace after heartbeat silence
 * @param handshakeTimeoutMs time from the WebSocket handshake to the first frame ({@code connect}
 *     or {@code resume}), else error 1021
 * @param httpIdleTimeoutMs an HTTP socket that sends nothing this long is closed
 * @param maxConnectionsPerSession beyond it, error 1027
 * @param maxFrameBytes largest client frame, else error 1413
 * @param connectRate new WebSocket connections per second per remote address, else error 1023
 * @param connectBurst how many of those may come at once
 * @param messageRate frames per second per connection (pongs excluded), else error 1429
 * @param messageBurst how many of those may come at once
 * @param maxBacklogBytes outbound bytes a socket may have waiting, else error 1503
 * @param sendBufferBytes SO_SNDBUF of client sockets, 0 for the kernel's own tuning
 * @param devTokens whether {@code POST /v1/dev/token} mints tokens for the first app
 * @param maxConnectionsPerToken live connections one token may hold, else error 1027
 * @param drainTimeoutMs a socket with events waiting that has not drained for this long, error 1503
 * @param outboundBudgetBytes all sockets' waiting outbound bytes together; over it, the members
 *     that do not drain are dropped (1503) and new connections refused (1023)
 * @param overloadLagMs event-loop lag past which new connections (not resumes) are refused (1023)
 * @param logEvents events each session keeps for resumes to replay (at least; see protocol.md)
 */
public record ServerConfig(
        long heartbeatIntervalMs,
        long heartbeatTimeoutMs,
        long graceClosedMs,
        long graceSilentMs,
        long handshakeTimeoutMs,
        long httpIdleTimeoutMs,
        int maxConnectionsPerSession,
        int maxFrameBytes,
        double connectRate,
        int connectBurst,
        double messageRate,
        int messageBurst,
        long maxBacklogBytes,
        int sendBufferBytes,
        boolean devTokens,
        int maxConnectionsPerToken,
        long drainTimeoutMs,
        long outboundBudgetBytes,
        long overloadLagMs,
        int logEvents) {

    public ServerConfig {
        positive("heartbeatIntervalMs", heartbeatIntervalMs);
        positive("heartbeatTimeoutMs", heartbeatTimeoutMs);
        notNegative("graceClosedMs", graceClosedMs);
        notNegative("graceSilentMs", graceSilentMs);
        positive("handshakeTimeoutMs", handshakeTimeoutMs);
        positive("httpIdleTimeoutMs", httpIdleTimeoutMs);
        positive("maxConnectionsPerSession", maxConnectionsPerSession);
        positive("maxFrameBytes", maxFrameBytes);
        positive("connectRate", connectRate);
        positive("connectBurst", connectBurst);
        positive("messageRate", messageRate);
        positive("messageBurst", messageBurst);
        positive("maxBacklogBytes", maxBacklogBytes);
        notNegative("sendBufferBytes", sendBufferBytes);
        positive("maxConnectionsPerToken", maxConnectionsPerToken);
        positive("drainTimeoutMs", drainTimeoutMs);
        positive("outboundBudgetBytes", outboundBudgetBytes);
        positive("overloadLagMs", overloadLagMs);
        positive("logEvents", logEvents);
    }

    public static ServerConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder()
                .heartbeatIntervalMs(heartbeatIntervalMs).heartbeatTimeoutMs(heartbeatTimeoutMs)
                .graceClosedMs(graceClosedMs).graceSilentMs(graceSilentMs)
                .handshakeTimeoutMs(handshakeTimeoutMs).httpIdleTimeoutMs(httpIdleTimeoutMs)
                .maxConnectionsPerSession(maxConnectionsPerSession).maxFrameBytes(maxFrameBytes)
                .connectRate(connectRate).connectBurst(connectBurst)
                .messageRate(messageRate).messageBurst(messageBurst)
                .maxBacklogBytes(maxBacklogBytes).sendBufferBytes(sendBufferBytes).devTokens(devTokens)
                .maxConnectionsPerToken(maxConnectionsPerToken).drainTimeoutMs(drainTimeoutMs)
                .outboundBudgetBytes(outboundBudgetBytes).overloadLagMs(overloadLagMs).logEvents(logEvents);
    }

    private static void positive(String name, double value) {
        if (!(value > 0)) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    private static void notNegative(String name, double value) {
        if (!(value >= 0)) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
    }

    public static final class Builder {
        private long heartbeatIntervalMs = 1000;
        private long heartbeatTimeoutMs = 2500;
        private long graceClosedMs = 500;
        private long graceSilentMs = 1500;
        private long handshakeTimeoutMs = 5_000;
        private long httpIdleTimeoutMs = 5_000;
        private int maxConnectionsPerSession = 20_000;
        private int maxFrameBytes = 16 * 1024;
        private double connectRate = 500;
        private int connectBurst = 2000;
        private double messageRate = 50;
        private int messageBurst = 200;
        private long maxBacklogBytes = 8L * 1024 * 1024;
        private int sendBufferBytes = 0;
        private boolean devTokens = false;
        private int maxConnectionsPerToken = 64;
        private long drainTimeoutMs = 10_000;
        private long outboundBudgetBytes = 512L * 1024 * 1024;
        private long overloadLagMs = 500;
        private int logEvents = 4096;

        private Builder() {
        }

        public Builder heartbeatIntervalMs(long value) {
            heartbeatIntervalMs = value;
            return this;
        }

        public Builder heartbeatTimeoutMs(long value) {
            heartbeatTimeoutMs = value;
            return this;
        }

        public Builder graceClosedMs(long value) {
            graceClosedMs = value;
            return this;
        }

        public Builder graceSilentMs(long value) {
            graceSilentMs = value;
            return this;
        }

        public Builder handshakeTimeoutMs(long value) {
            handshakeTimeoutMs = value;
            return this;
        }

        public Builder httpIdleTimeoutMs(long value) {
            httpIdleTimeoutMs = value;
            return this;
        }

        public Builder maxConnectionsPerSession(int value) {
            maxConnectionsPerSession = value;
            return this;
        }

        public Builder maxFrameBytes(int value) {
            maxFrameBytes = value;
            return this;
        }

        public Builder connectRate(double value) {
            connectRate = value;
            return this;
        }

        public Builder connectBurst(int value) {
            connectBurst = value;
            return this;
        }

        public Builder messageRate(double value) {
            messageRate = value;
            return this;
        }

        public Builder messageBurst(int value) {
            messageBurst = value;
            return this;
        }

        public Builder maxBacklogBytes(long value) {
            maxBacklogBytes = value;
            return this;
        }

        public Builder sendBufferBytes(int value) {
            sendBufferBytes = value;
            return this;
        }

        public Builder devTokens(boolean value) {
            devTokens = value;
            return this;
        }

        public Builder maxConnectionsPerToken(int value) {
            maxConnectionsPerToken = value;
            return this;
        }

        public Builder drainTimeoutMs(long value) {
            drainTimeoutMs = value;
            return this;
        }

        public Builder outboundBudgetBytes(long value) {
            outboundBudgetBytes = value;
            return this;
        }

        public Builder overloadLagMs(long value) {
            overloadLagMs = value;
            return this;
        }

        public Builder logEvents(int value) {
            logEvents = value;
            return this;
        }

        public ServerConfig build() {
            return new ServerConfig(heartbeatIntervalMs, heartbeatTimeoutMs, graceClosedMs, graceSilentMs,
                    handshakeTimeoutMs, httpIdleTimeoutMs, maxConnectionsPerSession, maxFrameBytes,
                    connectRate, connectBurst, messageRate, messageBurst, maxBacklogBytes, sendBufferBytes,
                    devTokens, maxConnectionsPerToken, drainTimeoutMs, outboundBudgetBytes, overloadLagMs, logEvents);
        }
    }
}
