package org.rollcall;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * The other connections of a session, by the key the C core gives each connection (a 64-bit hash
 * of its ID), so that a drop needs no string. Two IDs with the same key are told apart by ID:
 * {@code idOfDropped} then asks the core for the dropped connection's ID. Updated on the library
 * thread, read from any thread; in order of arrival.
 */
final class Roster {
    private final LongFunction<String> idOfDropped;
    private final Map<Long, Connection> byKey = new LinkedHashMap<>();
    /** Connections whose key another connection held when they came; almost always empty. */
    private final Map<String, Connection> collided = new LinkedHashMap<>();

    /** @param idOfDropped the ID of a dropped connection from the handle given to {@link #remove} */
    Roster(LongFunction<String> idOfDropped) {
        this.idOfDropped = idOfDropped;
    }

    synchronized void add(long key, Connection connection) {
        Connection holder = byKey.putIfAbsent(key, connection);
        if (holder != null && !holder.equals(connection)) {
            collided.put(connection.getConnectionId(), connection);
        }
    }

    /** The connection that left, or {@code null} when it was not in the roster. */
    synchronized Connection remove(long key, long droppedHandle) {
        if (collided.isEmpty()) {
            return byKey.remove(key);
        }
        String id = idOfDropped.apply(droppedHandle);
        Connection connection = collided.remove(id);
        if (connection != null) {
            return connection;
        }
        connection = byKey.get(key);
        if (connection == null || !connection.getConnectionId().equals(id)) {
            return null;
        }
        return byKey.remove(key);
    }

    synchronized List<Connection> snapshot() {
        List<Connection> all = new ArrayList<>(byKey.size() + collided.size());
        all.addAll(byKey.values());
        all.addAll(collided.values());
        return List.copyOf(all);
    }

    synchronized void clear() {
        byKey.clear();
        collided.clear();
    }
}
