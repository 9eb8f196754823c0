package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The roster by key, including the rare case of two IDs with one key. */
class RosterTest {
    private final Map<Long, String> idsByHandle = new HashMap<>();
    private final Roster roster = new Roster();

    /** The ID the core would give for the dropped connection {@code handle}. */
    private Supplier<String> id(long handle) {
        return () -> idsByHandle.get(handle);
    }

    private static Connection connection(String id) {
        return new Connection(id, "", 0, null);
    }

    @Test
    void addsAndRemovesByKeyInOrderOfArrival() {
        roster.add(1, connection("a"));
        roster.add(2, connection("b"));
        roster.add(3, connection("c"));
        assertEquals(List.of(connection("a"), connection("b"), connection("c")), roster.snapshot());
        assertEquals(connection("b"), roster.remove(2, id(0)));
        assertNull(roster.remove(2, id(0)));
        assertEquals(List.of(connection("a"), connection("c")), roster.snapshot());
        roster.clear();
        assertEquals(List.of(), roster.snapshot());
    }

    @Test
    void sharedKeysAreToldApartById() {
        roster.add(7, connection("first"));
        roster.add(7, connection("second"));
        roster.add(8, connection("third"));
        assertEquals(3, roster.snapshot().size());

        idsByHandle.put(100L, "first");
        assertEquals(connection("first"), roster.remove(7, id(100)));
        idsByHandle.put(101L, "unknown");
        assertNull(roster.remove(7, id(101)));
        idsByHandle.put(102L, "second");
        assertEquals(connection("second"), roster.remove(7, id(102)));
        assertEquals(connection("third"), roster.remove(8, id(0)));
        assertEquals(List.of(), roster.snapshot());
    }
}
