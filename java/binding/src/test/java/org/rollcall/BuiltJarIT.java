package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Failsafe runs this with the packaged jar on the class path instead of target/classes. */
class BuiltJarIT {
    @Test
    void bindingIsLoadedFromTheBuiltJar() {
        String location = Rollcall.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertTrue(location.endsWith(".jar"), "Rollcall loaded from " + location);
        assertEquals(System.getProperty("otc.expected.version"), Rollcall.version());
    }
}
