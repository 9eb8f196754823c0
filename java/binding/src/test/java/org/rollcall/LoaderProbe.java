package org.rollcall;

import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.bytedeco.javacpp.BytePointer;
import org.rollcall.binding.Core;

/**
 * Loaded once per class loader by {@link TwoLoadersMain} (never by the application loader): uses
 * the binding of its own loader, as a webapp would. Commands: "event" (a created event through
 * this loader's core reaches this loader's listener), "error" (a refused connect; libotc logs it),
 * "logs" (log lines that reached this loader's copy of the core), "close".
 */
public final class LoaderProbe implements Function<String, Object> {
    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    private Session session;

    @Override
    public Object apply(String command) {
        try {
            switch (command) {
                case "event":
                    return event();
                case "error":
                    return error();
                case "logs":
                    return Core.rc_log_count();
                case "close":
                    session.close();
                    return "closed";
                default:
                    return "unknown command " + command;
            }
        } catch (Exception e) {
            return e.toString();
        }
    }

    private Object event() throws InterruptedException {
        if (session == null) {
            session = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "room")
                    .connectionListener(new Session.ConnectionListener() {
                        @Override
                        public void onConnectionCreated(Session s, Connection connection) {
                            events.add(connection.getConnectionId());
                        }
                    }).build();
        }
        String id = "from-" + Integer.toHexString(System.identityHashCode(getClass().getClassLoader()));
        try (BytePointer idBytes = new BytePointer(id); BytePointer data = new BytePointer("")) {
            Core.rc_test_post_created(session.nativeSession().handle, idBytes, data);
        }
        Object got = events.poll(10, TimeUnit.SECONDS);
        return id.equals(got) ? "received" : "expected " + id + ", got " + got;
    }

    private Object error() throws InterruptedException {
        try (Session refused = new Session.Builder(URI.create("ws://127.0.0.1:9"), "key", "refused")
                .sessionListener(new Session.SessionListener() {
                    @Override
                    public void onError(Session s, RollcallException error) {
                        events.add(error);
                    }
                }).build()) {
            refused.connect("token");
            Object got = events.poll(10, TimeUnit.SECONDS);
            return got instanceof RollcallException ? "error" : "no error: " + got;
        }
    }
}
