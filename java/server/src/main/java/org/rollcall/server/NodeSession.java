package org.rollcall.server;

import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * This node's part of a session served through Redis ({@link RedisPresence}): its local members,
 * and its copy of the session's event stream, which it applies in seq order and fans out to them
 * through a {@link Session}. Owned by the session's owner loop, like a {@code Session}.
 */
final class NodeSession {
    /** One event from the session's channel or log, or a 'moved' notice (seq -1). */
    record Envelope(long epoch, long seq, String kind, String connectionId, byte[] payload) {
        /** Parses {@code <epoch>\n<seq>\n<kind>\n<id>\n<payload>}. */
        static Envelope parse(byte[] message) {
            int[] at = new int[4];
            int found = 0;
            for (int i = 0; i < message.length && found < 4; i++) {
                if (message[i] == '\n') {
                    at[found++] = i;
                }
            }
            if (found < 4) {
                throw new IllegalArgumentException("malformed message on a session channel");
            }
            String head = new String(message, 0, at[3], StandardCharsets.UTF_8);
            String[] parts = head.split("\n", 4);
            byte[] payload = java.util.Arrays.copyOfRange(message, at[3] + 1, message.length);
            return new Envelope(Long.parseLong(parts[0]), Long.parseLong(parts[1]), parts[2], parts[3], payload);
        }

        boolean moved() {
            return kind.equals("m");
        }

        /** The reason of a destroyed event, or null for a created one. */
        Reason destroyedReason() {
            if (!kind.startsWith("d:")) {
                return null;
            }
            String wire = kind.substring(2);
            for (Reason reason : Reason.values()) {
                if (reason.wireName().equals(wire)) {
                    return reason;
                }
            }
            return Reason.NETWORK_DISCONNECTED;
        }
    }

    /** What happened to a socket while its join or resume was still on its way to Redis. */
    record Loss(Reason reason, long graceMs, boolean silent) {
    }

    final SessionKey key;
    final EventLoop owner;
    final String prefix;
    final String channel;
    /** This node's copy of the stream; null until the first local member is attached (its position). */
    Session session;
    /** Completes when Redis has confirmed the subscription to {@link #channel}. */
    CompletionStage<Void> subscribed;
    /** Joins and resumes sent to Redis and not yet answered. */
    int inFlight;
    /** Events that came before the position was known. */
    final List<Envelope> early = new ArrayList<>();
    /** While a gap is being filled from the log: the events that came meanwhile. */
    ArrayDeque<Envelope> held;
    final Map<Outbox, Loss> lostWhileInFlight = new HashMap<>();

    NodeSession(SessionKey key, EventLoop owner) {
        this.key = key;
        this.owner = owner;
        String name = name(key);
        this.prefix = "rc:{" + name + "}:";
        this.channel = prefix + "ch";
    }

    /** The session's name in Redis (and in a node's set of sessions). */
    static String name(SessionKey key) {
        return key.apiKey() + "/" + key.sessionId();
    }

    Map<String, Member> members() {
        return session == null ? Map.of() : session.members;
    }

    boolean idle() {
        return members().isEmpty() && inFlight == 0 && lostWhileInFlight.isEmpty();
    }
}
