package org.rollcall.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several server nodes sharing their sessions through a {@link RedisServer} ({@code serve --redis},
 * docs/scale-out.md): {@code rollcall-harness run SCENARIO --nodes N}.
 *
 * <p>How clients are spread: {@link #httpUrl()} (and so {@link #wsUrl()}) names the live nodes in
 * turn, one per call. Every place that connects asks for the URL once per connection target: each
 * otc-load or Node process, each Java client and watcher gets a node in turn; each admin call goes
 * to the next node (so "any node lists a session" is checked on every settle); and the chaos
 * scenario's {@link LinkProxy} asks at every new link, so there each connection, and each
 * reconnection, lands on the next live node, which is what a round-robin TCP balancer does. We
 * chose this over a balancer process in front of the nodes (as {@code scripts/demo --nodes} runs):
 * clients need no change either way, and this way no extra process copies every byte of a storm
 * on a 2-core machine (it would take CPU from the nodes and skew the bench's storm and latency
 * figures), while chaos still sends a killed node's clients back through the others. Outside
 * chaos no node dies, so a process keeping its node for its reconnections loses nothing.
 *
 * <p>{@link #killAndRestart(int)} is {@code kill -9} of one node and a new one on its port (a new
 * node ID: the server adds a random suffix per start); the node is left out of {@link #httpUrl()}
 * until it listens again.
 */
final class SpawnedCluster implements ServerTarget {
    private final RedisServer redis;
    private final List<SpawnedServer> nodes = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();
    private volatile int down = -1;

    /** Starts Redis, then {@code count} nodes with {@code --redis} and {@code --node-id nodeI}. */
    SpawnedCluster(int count, Path jar, List<String> jvmArgs, List<String> serverArgs, Path workDir, String apiKey,
                   String secret, Placement placement) {
        if (count < 2) {
            throw new HarnessException("a cluster has 2 nodes or more");
        }
        redis = RedisServer.start(workDir, placement);
        try {
            for (int i = 1; i <= count; i++) {
                List<String> args = new ArrayList<>(serverArgs);
                args.addAll(List.of("--redis", redis.uri(), "--node-id", "node" + i));
                nodes.add(new SpawnedServer(jar, jvmArgs, args, workDir, apiKey, secret).named("node" + i)
                        .placement(placement).start());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The next live node's URL, in turn. */
    @Override
    public String httpUrl() {
        int skip = down;
        for (;;) {
            int node = Math.floorMod(next.getAndIncrement(), nodes.size());
            if (node != skip) {
                return nodes.get(node).httpUrl();
            }
        }
    }

    @Override
    public List<String> nodeHttpUrls() {
        return nodes.stream().map(SpawnedServer::httpUrl).toList();
    }

    @Override
    public String apiKey() {
        return nodes.get(0).apiKey();
    }

    @Override
    public String secret() {
        return nodes.get(0).secret();
    }

    @Override
    public String adminSecret() {
        return nodes.get(0).adminSecret();
    }

    @Override
    public boolean restartable() {
        return true;
    }

    @Override
    public int nodes() {
        return nodes.size();
    }

    /** Without a node named: the last one. */
    @Override
    public void killAndRestart() {
        killAndRestart(nodes.size() - 1);
    }

    @Override
    public synchronized void killAndRestart(int node) {
        down = node;
        try {
            nodes.get(node).killAndRestart();
        } finally {
            down = -1;
        }
    }

    /** None: several processes serve ({@link #pids()}). */
    @Override
    public OptionalLong pid() {
        return OptionalLong.empty();
    }

    @Override
    public List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        nodes.forEach(node -> node.pid().ifPresent(pids::add));
        pids.add(redis.pid());
        return pids;
    }

    @Override
    public void close() {
        nodes.parallelStream().forEach(SpawnedServer::close);
        redis.close();
    }
}
