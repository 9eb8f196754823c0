package org.rollcall.server;

/** A session belongs to one app: the same session ID under two apps is two sessions. */
public record SessionKey(String apiKey, String sessionId) {
}
