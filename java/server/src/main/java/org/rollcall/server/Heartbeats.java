package org.rollcall.server;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One timer per event loop for all of its sockets: pings, silence, first-frame and drain timeouts.
 * Every {@link #tickMs} it walks the loop's sockets ({@link ConnectionHandler#tick}); a socket costs
 * a few comparisons a tick and no timer of its own. The tick also measures how late the loop runs
 * its tasks: past {@code overloadLagMs}, the node is overloaded and sheds new connections.
 */
final class Heartbeats {
    private final Map<EventLoop, Wheel> wheels = new HashMap<>();
    private final long tickNanos;
    private final long overloadLagNanos;

    Heartbeats(EventLoopGroup group, ServerConfig config) {
        long tickMs = Math.max(10, Math.min(config.heartbeatIntervalMs(), config.heartbeatTimeoutMs()) / 10);
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMs);
        this.overloadLagNanos = TimeUnit.MILLISECONDS.toNanos(config.overloadLagMs());
        for (EventExecutor executor : group) {
            Wheel wheel = new Wheel();
            wheels.put((EventLoop) executor, wheel);
            wheel.nextTickNanos = System.nanoTime() + tickNanos;
            executor.scheduleWithFixedDelay(wheel::tick, tickMs, tickMs, TimeUnit.MILLISECONDS);
        }
    }

    /** On the socket's loop. */
    void add(ConnectionHandler socket) {
        wheels.get(socket.loop()).add(socket);
    }

    /** On the socket's loop. */
    void remove(ConnectionHandler socket) {
        wheels.get(socket.loop()).remove(socket);
    }

    /**
     * Closes every socket the wheels list (every WebSocket past its upgrade and not yet ended), on
     * its own loop, and waits up to {@code timeoutMs} for that: at shutdown, in place of a group of
     * every socket, which would cost each one a map entry for the whole of its life.
     */
    void closeAll(long timeoutMs) {
        List<Future<?>> closing = new ArrayList<>();
        wheels.forEach((loop, wheel) -> {
            if (!loop.isShuttingDown()) {
                closing.add(loop.submit(wheel::closeAll));
            }
        });
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Future<?> future : closing) {
            future.awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** Whether any loop ran its last tick later than the overload threshold. */
    boolean overloaded() {
        for (Wheel wheel : wheels.values()) {
            if (wheel.lagNanos > overloadLagNanos) {
                return true;
            }
        }
        return false;
    }

    private final class Wheel {
        private final List<ConnectionHandler> sockets = new ArrayList<>();
        private long nextTickNanos;
        volatile long lagNanos;

        void add(ConnectionHandler socket) {
            socket.wheelIndex = sockets.size();
            sockets.add(socket);
        }

        /** Swap-remove: O(1), order does not matter. */
        void remove(ConnectionHandler socket) {
            int index = socket.wheelIndex;
            if (index < 0 || index >= sockets.size() || sockets.get(index) != socket) {
                return;
            }
            ConnectionHandler last = sockets.remove(sockets.size() - 1);
            if (last != socket) {
                sockets.set(index, last);
                last.wheelIndex = index;
            }
            socket.wheelIndex = -1;
        }

        void closeAll() {
            // A copy: a socket leaves the wheel when its close is handled, which may be at once.
            for (ConnectionHandler socket : new ArrayList<>(sockets)) {
                socket.channel().close();
            }
        }

        void tick() {
            long now = System.nanoTime();
            // How late this tick runs, smoothed over a few ticks: one pause (a GC, a busy neighbour)
            // is not overload; a loop that stays behind is.
            long late = Math.max(0, now - nextTickNanos);
            lagNanos = lagNanos - (lagNanos >> 2) + (late >> 2);
            nextTickNanos = now + tickNanos;
            // Backwards, so that a socket that removes itself during its tick does not skip another.
            for (int i = sockets.size() - 1; i >= 0; i--) {
                if (i < sockets.size()) {
                    sockets.get(i).tick(now);
                }
            }
        }
    }
}
