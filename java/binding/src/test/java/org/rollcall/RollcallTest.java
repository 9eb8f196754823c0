package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RollcallTest {
    @Test
    void versionComesFromLibotc() {
        assertEquals(System.getProperty("otc.expected.version"), Rollcall.version());
    }
}
