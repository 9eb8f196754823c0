package org.rollcall.server;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The Redis side of {@link RedisPresence}: one command connection, one pub/sub connection, and the
 * Lua scripts in {@code resources/redis}. Every change to a session is one script, so one round
 * trip whatever the session's size: the script takes the next seq, appends the event to the
 * session's capped stream, updates the roster hash and publishes the event, atomically (see
 * {@code common.lua} for the keys). Lettuce reconnects by itself; while a connection is down its
 * commands fail at once (they are not queued), and the caller decides what a failure means.
 */
final class RedisStore implements AutoCloseable {
    enum Script { JOIN, RESUME, LEAVE, FORCE, LIST, RANGE, LEASE }

    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> connection;
    private final StatefulRedisPubSubConnection<String, byte[]> pubSub;
    private final String[] scripts = new String[Script.values().length];
    private final String[] digests = new String[Script.values().length];
    private final Metrics metrics;
    /** When Redis last answered a command on this connection (an error reply is an answer too). */
    private volatile long answeredAtNanos = System.nanoTime();
    /** Tests only: runs on the sending thread just after a command is sent (a sender preempted there). */
    static volatile Runnable stallAfterSendForTests;

    /**
     * Connects to {@code uri} ({@code redis://[user:password@]host:port[/db]}, or {@code rediss://}
     * for TLS).
     *
     * @throws IOException when Redis cannot be reached now
     */
    RedisStore(String uri, Metrics metrics) throws IOException {
        this(uri, metrics, true, Duration.ofSeconds(2));
    }

    /**
     * A command connection of its own, with no pub/sub, for the node's lease ({@link NodeLease}): a
     * renewal must never wait behind a storm's scripts, queued on the shared connection, nor behind
     * the decoding of their replies on its Lettuce thread. Commands time out after {@code timeout}.
     */
    static RedisStore forLease(String uri, Metrics metrics, Duration timeout) throws IOException {
        return new RedisStore(uri, metrics, false, timeout);
    }

    private RedisStore(String uri, Metrics metrics, boolean withPubSub, Duration timeout) throws IOException {
        this.metrics = metrics;
        String common = resource("common.lua");
        for (Script script : Script.values()) {
            scripts[script.ordinal()] = common + "\n" + resource(script.name().toLowerCase() + ".lua");
        }
        resources = ClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                .reconnectDelay(Delay.constant(Duration.ofMillis(200))).build();
        client = RedisClient.create(resources, RedisURI.create(uri));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .build());
        try {
            connection = client.connect(CODEC);
            pubSub = withPubSub ? client.connectPubSub(CODEC) : null;
        } catch (RuntimeException e) {
            close();
            throw new IOException("cannot reach Redis at " + RedisURI.create(uri).toURI().getHost() + ": " + e.getMessage(), e);
        }
        RedisAsyncCommands<String, byte[]> commands = connection.async();
        for (Script script : Script.values()) {
            digests[script.ordinal()] = commands.digest(scripts[script.ordinal()]);
        }
    }

    /**
     * Messages published on the subscribed channels go to {@code onMessage}, and each confirmed
     * subscription (the first, and each one Lettuce renews after a reconnect) to {@code onSubscribed},
     * on Lettuce's thread.
     */
    void listen(BiConsumer<String, byte[]> onMessage, Consumer<String> onSubscribed) {
        pubSub.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
                onMessage.accept(channel, message);
            }

            @Override
            public void subscribed(String channel, long count) {
                onSubscribed.accept(channel);
            }
        });
    }

    /** Whether both connections are up: while they are not, new connections are refused. */
    boolean connected() {
        return connection.isOpen() && (pubSub == null || pubSub.isOpen());
    }

    /**
     * When Redis last answered a command of ours: a Redis that keeps answering is there, however
     * slow a given command is under the node's own load (a storm's scripts queue on the connection).
     */
    long answeredAtNanos() {
        return answeredAtNanos;
    }

    /** Runs a script with its arguments (each a String, byte[] or number); one round trip. */
    CompletionStage<List<Object>> run(Script script, Object... args) {
        CompletableFuture<List<Object>> result = new CompletableFuture<>();
        run(script, Runnable::run, (reply, error) -> complete(result, reply, error), args);
        return result;
    }

    /**
     * Runs a script, and hands its answer to {@code then} on {@code executor}, in the order Redis
     * answered: a session's joins and resumes must reach its owner loop in seq order (a node's copy
     * of the session starts at the first answer it applies). The answer is queued on the executor
     * by Lettuce's thread as it reads the reply, never later by the thread that sent the command: a
     * callback added to a returned future after the send runs on the sending thread if the reply is
     * already in, and a sender preempted meanwhile let a later answer overtake it.
     */
    void run(Script script, Executor executor, BiConsumer<List<Object>, Throwable> then, Object... args) {
        byte[][] values = new byte[args.length][];
        for (int i = 0; i < args.length; i++) {
            values[i] = args[i] instanceof byte[] bytes ? bytes : String.valueOf(args[i]).getBytes(StandardCharsets.UTF_8);
        }
        metrics.redisRoundTrip(script.name().toLowerCase());
        send(script, false, values, (reply, error) -> {
            if (error instanceof RedisNoScriptException || error != null && error.getCause() instanceof RedisNoScriptException) {
                // Redis restarted, or flushed its script cache: send the script itself once.
                send(script, true, values, (again, failed) -> executor.execute(() -> then.accept(again, failed)));
            } else {
                executor.execute(() -> then.accept(reply, error));
            }
        });
    }

    /** EVALSHA (or EVAL) with {@code onReply} attached before the command is sent. */
    private void send(Script script, boolean body, byte[][] values, BiConsumer<List<Object>, Throwable> onReply) {
        CommandArgs<String, byte[]> args = new CommandArgs<>(CODEC)
                .add(body ? scripts[script.ordinal()] : digests[script.ordinal()]).add(0);
        for (byte[] value : values) {
            args.addValue(value);
        }
        AsyncCommand<String, byte[], List<Object>> command = new AsyncCommand<>(
                new Command<>(body ? CommandType.EVAL : CommandType.EVALSHA, new NestedMultiOutput<>(CODEC), args));
        command.whenComplete((reply, error) -> {
            if (error == null || error instanceof RedisCommandExecutionException) {
                answeredAtNanos = System.nanoTime();
            }
            onReply.accept(reply, error);
        });
        try {
            connection.dispatch(command);
        } catch (RuntimeException e) {
            command.completeExceptionally(e);
        }
        Runnable stall = stallAfterSendForTests;
        if (stall != null) {
            stall.run();
        }
    }

    private static <T> void complete(CompletableFuture<T> future, T value, Throwable error) {
        if (error != null) {
            future.completeExceptionally(error);
        } else {
            future.complete(value);
        }
    }

    /** Completes once Redis confirms the subscription: every later publish on the channel reaches us. */
    CompletionStage<Void> subscribe(String channel) {
        metrics.redisRoundTrip("subscribe");
        return pubSub.async().subscribe(channel).thenApply(unused -> null);
    }

    void unsubscribe(String channel) {
        metrics.redisRoundTrip("unsubscribe");
        pubSub.async().unsubscribe(channel);
    }

    @Override
    public void close() {
        if (pubSub != null) {
            pubSub.close();
        }
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static String resource(String name) {
        try (InputStream in = RedisStore.class.getResourceAsStream("/redis/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource redis/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
