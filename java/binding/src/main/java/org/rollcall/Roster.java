package org.rollcall;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The other connections of a session, by the key the C core gives each connection (a 64-bit hash
 * of its ID), so that a drop needs no string. Two IDs with the same key are told apart by ID:
 * then {@link #remove} asks for the dropped connection's ID. In order of arrival. Not
 * thread-safe: its {@link EventRouter} guards it with its lock (one monitor per event, not two).
 */
final class Roster {
    private final Map<Long, Connection> byKey = new LinkedHashMap<>();
    /** Connections whose key another connection held when they came; almost always empty. */
    private final Map<String, Connection> collided = new LinkedHashMap<>();

    Roster() {
    }

    void add(long key, Connection connection) {
        Connection holder = byKey.putIfAbsent(key, connection);
        if (holder != null && !holder.equals(connection)) {
            collided.put(connection.getConnectionId(), connection);
        }
    }

    /**
     * The connection that left, or {@code null} when it was not in the roster.
     *
     * @param idOfDropped its ID, asked only when two IDs have shared a key
     */
    Connection remove(long key, Supplier<String> idOfDropped) {
        if (collided.isEmpty()) {
            return byKey.remove(key);
        }
        String id = idOfDropped.get();
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

    List<Connection> snapshot() {
        List<Connection> all = new ArrayList<>(byKey.size() + collided.size());
        all.addAll(byKey.values());
        all.addAll(collided.values());
        return List.copyOf(all);
    }

    void clear() {
        byKey.clear();
        collided.clear();
    }
}
