package org.rollcall.harness;

import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * The roster hash that otc-load reports: the sum, modulo 2^64, of FNV-1a 64 over each connection
 * ID's UTF-8 bytes, as 16 hex digits. A sum does not depend on order, so neither side sorts.
 */
final class RosterHash {
    private RosterHash() {
    }

    static String of(Collection<String> ids) {
        return format(sum(ids));
    }

    static long sum(Collection<String> ids) {
        long sum = 0;
        for (String id : ids) {
            sum += fnv1a64(id);
        }
        return sum;
    }

    static String format(long sum) {
        return String.format("%016x", sum);
    }

    static long fnv1a64(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
