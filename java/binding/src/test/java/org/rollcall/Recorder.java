package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Listens to everything a session reports and lets a test wait for it, in order. */
final class Recorder implements Session.ConnectionListener, Session.SessionListener, Session.ReconnectionListener {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    enum Type { CONNECTED, DISCONNECTED, ERROR, CREATED, DESTROYED, RECONNECTING, RECONNECTED }

    record Event(Type type, Session session, Connection connection, RollcallException error, Thread thread) {
        @Override
        public String toString() {
            return type + (connection != null ? " " + connection : "") + (error != null ? " " + error : "");
        }
    }

    private final BlockingQueue<Event> unread = new LinkedBlockingQueue<>();
    private final List<Event> all = new ArrayList<>();

    /** A builder with this recorder as all three listeners. */
    Session.Builder attach(Session.Builder builder) {
        return builder.connectionListener(this).sessionListener(this).reconnectionListener(this);
    }

    /** The next event, which must be of this type. */
    Event next(Type type) throws InterruptedException {
        Event event = unread.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(event, "no event within " + TIMEOUT + ", expected " + type + "; saw " + all());
        assertEquals(type, event.type(), "events so far: " + all());
        return event;
    }

    /** Skips events until one of this type; fails after the timeout. */
    Event await(Type type) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Event event = unread.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event == null) {
                fail("no " + type + " within " + TIMEOUT + "; saw " + all());
            }
            if (event.type() == type) {
                return event;
            }
        }
    }

    /** Skips events until one that matches; fails after the timeout. */
    Event await(Type type, java.util.function.Predicate<Connection> connection) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Event event = unread.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event == null) {
                fail("no matching " + type + " within " + TIMEOUT + "; saw " + all());
            }
            if (event.type() == type && connection.test(event.connection())) {
                return event;
            }
        }
    }

    /** Waits until an event that matches has been seen, read or not. */
    void awaitSeen(Type type, java.util.function.Predicate<Connection> connection) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (all().stream().noneMatch(e -> e.type() == type && connection.test(e.connection()))) {
            if (unread.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS) == null) {
                fail("no matching " + type + " within " + TIMEOUT + "; saw " + all());
            }
        }
    }

    /** Events not taken by next() or await() yet. */
    List<Event> unread() {
        return List.copyOf(unread);
    }

    synchronized List<Event> all() {
        return List.copyOf(all);
    }

    private synchronized void record(Type type, Session session, Connection connection, RollcallException error) {
        Event event = new Event(type, session, connection, error, Thread.currentThread());
        all.add(event);
        unread.add(event);
    }

    @Override
    public void onConnectionCreated(Session session, Connection connection) {
        record(Type.CREATED, session, connection, null);
    }

    @Override
    public void onConnectionDestroyed(Session session, Connection connection) {
        record(Type.DESTROYED, session, connection, null);
    }

    @Override
    public void onConnected(Session session) {
        record(Type.CONNECTED, session, null, null);
    }

    @Override
    public void onDisconnected(Session session) {
        record(Type.DISCONNECTED, session, null, null);
    }

    @Override
    public void onError(Session session, RollcallException exception) {
        record(Type.ERROR, session, null, exception);
    }

    @Override
    public void onReconnecting(Session session) {
        record(Type.RECONNECTING, session, null, null);
    }

    @Override
    public void onReconnected(Session session) {
        record(Type.RECONNECTED, session, null, null);
    }
}
