package org.rollcall;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.rollcall.binding.Core;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One session's events from libotc: keeps the roster (on the library thread) and hands listener
 * calls to the session's {@link Dispatcher}.
 *
 * <h2>Falling behind and resync</h2>
 * When the dispatcher's queue is full (a slow listener), or memory ran out while an event was
 * being queued, the session <em>falls behind</em>: the connection events still queued are
 * discarded, new ones are not queued, and once the listener has caught up a <em>resync</em> runs
 * on its thread. It compares what the listener was told ({@link #told}) with the roster now and
 * delivers the difference: destroyed for those that left (with the reason libotc gave, recorded
 * while behind), then created for those that came, in order of arrival. So the listener's view
 * ends equal to {@link Session#getConnections()}, each change told once, but connections that came
 * and went while it was behind are never told. Each resync is logged (WARN) and counted.
 *
 * <p>Every method called from libotc returns {@code true} when it took the event, or throws
 * before changing anything (then the C core keeps the event and offers it again later).
 */
final class EventRouter {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    /** Drop reasons kept while behind, at most; others are reported as NETWORK_DISCONNECTED. */
    private static final int MAX_REASONS = 65_536;

    private final Session session;
    private final Dispatcher dispatcher;
    private final Runnable resyncTask = this::resync;

    private final Object lock = new Object();
    private final Roster roster; // guarded by lock
    private boolean behind; // guarded by lock
    private final Map<String, DropReason> reasonsWhileBehind = new HashMap<>(); // guarded by lock

    /** What the listener has been told: only touched by listener calls, which run one at a time. */
    private final Map<String, Connection> told = new LinkedHashMap<>();

    final AtomicLong resyncs = new AtomicLong();

    EventRouter(Session session, Dispatcher dispatcher) {
        this.session = session;
        this.dispatcher = dispatcher;
        this.roster = new Roster();
    }

    List<Connection> snapshot() {
        synchronized (lock) {
            return roster.snapshot();
        }
    }

    // --- from libotc, on the library thread ------------------------------------------------------

    boolean stateChanged(int state, String ownId, String ownData, long ownCreationTime) {
        switch (state) {
            case Core.RC_CONNECTED:
                session.ownConnection(new Connection(ownId, ownData, ownCreationTime, null));
                dispatchState(this::deliverConnected);
                break;
            case Core.RC_RECONNECTING:
                dispatchState(this::deliverReconnecting);
                break;
            case Core.RC_RECONNECTED:
                // A new connection when the server had forgotten the old one.
                session.ownConnection(new Connection(ownId, ownData, ownCreationTime, null));
                dispatchState(this::deliverReconnected);
                break;
            case Core.RC_DISCONNECTED:
                session.ownConnection(null);
                synchronized (lock) {
                    roster.clear();
                }
                dispatchState(this::deliverDisconnected);
                break;
            default:
                throw new IllegalArgumentException("unknown session state " + state);
        }
        return true;
    }

    /** @param epoch with {@code seq}, the event's position; seq -1: none (a roster's) */
    boolean connectionCreated(long key, long creationTime, String id, String data, long epoch, long seq) {
        Connection created = new Connection(id, data, creationTime, null, epoch, seq);
        Runnable call = () -> deliverCreated(created);
        boolean queue;
        synchronized (lock) {
            roster.add(key, created);
            queue = !behind;
        }
        dispatchConnectionEvent(queue ? call : null);
        return true;
    }

    /** @param idOfDropped the dropped connection's ID, asked only when two IDs share a key */
    boolean connectionDropped(long key, int reason, Supplier<String> idOfDropped, long epoch, long seq) {
        DropReason why = DropReason.fromNative(reason);
        Connection known;
        boolean queue;
        synchronized (lock) {
            known = roster.remove(key, idOfDropped);
            if (known == null) {
                return true; // libotc never drops what it did not create; nothing to tell
            }
            queue = !behind;
            if (!queue && reasonsWhileBehind.size() < MAX_REASONS) {
                try {
                    reasonsWhileBehind.put(known.getConnectionId(), why);
                } catch (Throwable t) {
                    // out of memory: reported as NETWORK_DISCONNECTED
                }
            }
        }
        Runnable call = null;
        if (queue) {
            try {
                call = () -> deliverDestroyed(known.dropped(why, epoch, seq), why);
            } catch (Throwable t) {
                fallBehind("out of memory");
                return true;
            }
        }
        dispatchConnectionEvent(call);
        return true;
    }

    boolean error(int code, String message) {
        RollcallException error = new RollcallException(code, message);
        dispatchState(() -> deliverError(error));
        return true;
    }

    /** {@code call} null: the session is behind, the resync will tell. */
    private void dispatchConnectionEvent(Runnable call) {
        if (call == null) {
            dispatcher.kick();
            return;
        }
        try {
            if (dispatcher.dispatch(call, true)) {
                return;
            }
            fallBehind("its listener is more than " + "the queue's capacity of events behind");
        } catch (Throwable t) {
            fallBehind("memory ran out while queuing an event");
        }
    }

    /** State events always queue; if even that fails, the C core offers the event again. */
    private void dispatchState(Runnable call) {
        dispatcher.dispatch(call, false);
    }

    /** Allocates nothing until the flags are set (it may follow an OutOfMemoryError). */
    private void fallBehind(String why) {
        boolean first;
        synchronized (lock) {
            first = !behind;
            behind = true;
        }
        dispatcher.discardConnectionEvents();
        dispatcher.requestResync(resyncTask);
        // The drain may have found the queue empty just before the request: make sure one runs.
        dispatcher.kick();
        if (first) {
            try {
                log.warn("Session {} fell behind: {}; its queued connection events are dropped and the listener"
                        + " will be resynchronised with the roster (resyncs so far: {})", session.getSessionId(), why,
                        resyncs.get());
            } catch (Throwable t) {
                // out of memory
            }
        }
    }

    // --- listener calls, one at a time on the delivery thread -----------------------------------

    private void resync() {
        List<Connection> now;
        Map<String, DropReason> reasons;
        synchronized (lock) {
            behind = false;
            now = roster.snapshot();
            reasons = new HashMap<>(reasonsWhileBehind);
            reasonsWhileBehind.clear();
        }
        long number = resyncs.incrementAndGet();
        Set<String> present = new HashSet<>();
        for (Connection connection : now) {
            present.add(connection.getConnectionId());
        }
        int destroyed = 0;
        int created = 0;
        for (Connection gone : List.copyOf(told.values())) {
            if (!present.contains(gone.getConnectionId())) {
                destroyed++;
                DropReason why = reasons.getOrDefault(gone.getConnectionId(), DropReason.NETWORK_DISCONNECTED);
                guarded(() -> deliverDestroyed(gone.dropped(why, 0, Connection.NO_SEQ), why));
            }
        }
        for (Connection connection : now) {
            if (!told.containsKey(connection.getConnectionId())) {
                created++;
                guarded(() -> deliverCreated(connection));
            }
        }
        log.warn("Session {} resynchronised its listener (resync {}): {} created, {} destroyed, {} events dropped"
                + " so far", session.getSessionId(), number, created, destroyed, dispatcher.discardedEvents.get());
    }

    private static void guarded(Runnable call) {
        try {
            call.run();
        } catch (Throwable t) {
            Dispatcher.safeWarn(t);
        }
    }

    private void deliverCreated(Connection connection) {
        told.put(connection.getConnectionId(), connection);
        Session.ConnectionListener listener = session.connectionListener();
        if (listener != null) {
            listener.onConnectionCreated(session, connection);
        }
    }

    /** @param connection as dropped, with the drop's position */
    private void deliverDestroyed(Connection connection, DropReason reason) {
        told.remove(connection.getConnectionId());
        Session.ConnectionListener listener = session.connectionListener();
        if (listener != null) {
            listener.onConnectionDestroyed(session, connection, reason);
        }
    }

    private void deliverConnected() {
        told.clear();
        session.connectAttemptEnded(null);
        Session.SessionListener listener = session.sessionListener();
        if (listener != null) {
            listener.onConnected(session);
        }
    }

    private void deliverDisconnected() {
        told.clear(); // the roster is cleared: nobody is told destroyed
        session.connectAttemptEnded(new RollcallException(RollcallException.CONNECTION_FAILED, "disconnected"));
        Session.SessionListener listener = session.sessionListener();
        if (listener != null) {
            listener.onDisconnected(session);
        }
    }

    private void deliverError(RollcallException error) {
        session.connectAttemptEnded(error);
        Session.SessionListener listener = session.sessionListener();
        if (listener != null) {
            listener.onError(session, error);
        }
    }

    private void deliverReconnecting() {
        Session.ReconnectionListener listener = session.reconnectionListener();
        if (listener != null) {
            listener.onReconnecting(session);
        }
    }

    private void deliverReconnected() {
        Session.ReconnectionListener listener = session.reconnectionListener();
        if (listener != null) {
            listener.onReconnected(session);
        }
    }
}
