package org.rollcall.token;

import java.util.Locale;

/** The role a token grants. Carried in the token; not yet used for permissions. */
public enum Role {
    PUBLISHER, SUBSCRIBER, MODERATOR;

    /** The name on the wire: {@code publisher}, {@code subscriber} or {@code moderator}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException if the name is not a role
     */
    public static Role fromWireName(String name) {
        for (Role role : values()) {
            if (role.wireName().equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role: " + name);
    }
}
