package org.rollcall.harness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The chaos scenario's disturbances and its bookkeeping: the groups of clients, how many members
 * the server should list, and in the {@link ChaosLedger} what each disturbance allows. A round's
 * plan is drawn from the seeded {@link Random} only, from state that is the same on every run of
 * the seed (member counts, group names), so a seed replays the same plan.
 */
final class ChaosActions {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String NETWORK = "networkDisconnected";
    /** Heartbeat timeout and interval at the server's defaults (protocol.md). */
    private static final int TIMEOUT_MS = 2500;
    private static final int INTERVAL_MS = 1000;
    /**
     * After a cut link or a freeze, how long its consequences may take: the client's own silence
     * timeout, then the server's silent grace, plus a second for the reconnect. Rosters can agree
     * while a grace runs, so a round with these waits this long before it settles.
     */
    static final long QUIET_MS = TIMEOUT_MS + 1500 + 1000;

    private final Harness harness;
    private final LinkProxy proxy;
    private final String sessionId;
    private final ChaosLedger ledger;
    private final Random random;
    private final List<Chaos.Group> groups = new ArrayList<>();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chaos-timers");
        thread.setDaemon(true);
        return thread;
    });
    private Chaos.Group java;
    private long timersEndNs;
    private boolean freezeInGrace;
    private boolean quiet; // this round cut a link or froze a process
    private int population;
    private int javaDropsSeen;
    private int nextGroup;

    ChaosActions(Harness harness, LinkProxy proxy, String sessionId, ChaosLedger ledger, Random random) {
        this.harness = harness;
        this.proxy = proxy;
        this.sessionId = sessionId;
        this.ledger = ledger;
        this.random = random;
    }

    /** A new otc-load ({@code c}) or Node ({@code js}) process behind its own proxy port. */
    Chaos.Group newGroup(String kind) {
        String name = kind + "-" + (++nextGroup);
        LinkProxy.Listener link = proxy.listener(name);
        LoadProcess process = kind.equals("js") ? harness.spawnJs(link.wsUrl()) : harness.spawnAt(link.wsUrl(), 500, "--log-level", "5"); // libotc's connection life in load-N.err, for a divergence
        Chaos.Group group = new Chaos.Group(name, kind, process, link);
        groups.add(group);
        return group;
    }

    /** The Java binding's clients, one group behind one proxy port. */
    Chaos.Group java() {
        if (java == null) {
            java = new Chaos.Group("java", "java", null, proxy.listener("java"));
            groups.add(java);
        }
        return java;
    }

    /** The members the server should list. */
    int members() {
        return groups.stream().mapToInt(g -> g.members).sum();
    }

    /**
     * Also freeze processes past the heartbeat timeout but within timeout plus grace (the server
     * has declared them silent; they must resume within the silent grace). Off by default: it
     * diverged until the server revived silent sockets (docs/harness.md, "Chaos").
     */
    void freezeInGrace(boolean on) {
        freezeInGrace = on;
    }

    /** The size joins bring the session back towards. */
    void population(int members) {
        population = members;
    }

    void join(Chaos.Group group, int count) {
        for (int i = 0; i < count; i++) {
            String data = group.name + ":" + (group.joined++);
            if (group.process == null) {
                harness.java().add(group.link.wsUrl(), harness.server.apiKey(), sessionId,
                        harness.token(sessionId, data), "java");
            } else {
                group.process.add(sessionId, harness.token(sessionId, data), "");
            }
        }
        group.members += count;
    }

    /** Draws and does one round's disturbances; returns what was done, one line each. */
    List<String> round(int round) {
        List<String> plan = new ArrayList<>();
        if (round > 1 && random.nextInt(12) == 0) {
            restart(plan);
            return plan;
        }
        Set<Chaos.Group> touched = new HashSet<>();
        if (groups.stream().filter(g -> g.process != null && g.alive()).count() < 2) {
            Chaos.Group fresh = newGroup(random.nextBoolean() || !hasJs() ? "c" : "js");
            join(fresh, 2 + random.nextInt(3));
            touched.add(fresh);
            plan.add("spawn " + fresh + " " + fresh.members);
        }
        int count = 1 + random.nextInt(3);
        for (int i = 0; i < count; i++) {
            disturb(plan, touched);
        }
        return plan;
    }

    private boolean hasJs() {
        return groups.stream().anyMatch(g -> g.kind.equals("js"));
    }

    private void disturb(List<String> plan, Set<Chaos.Group> touched) {
        String[] menu = freezeInGrace
                ? new String[] {"join", "join", "leave", "kill", "stop-short", "stop-long", "force", "reset", "stall",
                        "stop-grace"}
                : new String[] {"join", "join", "leave", "kill", "stop-short", "stop-long", "force", "reset", "stall"};
        String action = members() < population / 2 ? "join" : menu[random.nextInt(menu.length)];
        boolean needsProcess = action.equals("kill") || action.startsWith("stop");
        List<Chaos.Group> candidates = groups.stream().filter(g -> !touched.contains(g) && g.alive()
                && (!needsProcess || g.process != null) && (action.equals("join") || g.members > 0)).toList();
        if (candidates.isEmpty()) {
            return;
        }
        Chaos.Group group = candidates.get(random.nextInt(candidates.size()));
        touched.add(group);
        switch (action) {
            case "join" -> {
                int n = 1 + random.nextInt(3);
                join(group, n);
                plan.add("join " + group + " " + n);
            }
            case "leave" -> {
                int n = 1 + random.nextInt(Math.min(2, group.members));
                List<String> ids = group.process == null ? harness.java().leaveIds(n)
                        : group.process.leave(n, TIMEOUT);
                ledger.allow(ids, "leave", "clientDisconnected");
                group.members -= ids.size();
                plan.add("leave " + group + " " + n);
            }
            case "kill" -> {
                ledger.allow(ids(group), "kill -9", NETWORK);
                group.process.killAndWait();
                group.members = 0;
                plan.add("kill " + group);
            }
            case "stop-short", "stop-grace", "stop-long" -> {
                // short: the server never misses a pong (up to timeout minus the ping interval, with margin:
                // silence counts from the last pong, up to an interval before the freeze);
                // grace: past the timeout, within timeout plus silent grace minus an interval (it must resume);
                // long: past timeout plus grace (it is gone, and joins again as a new connection).
                long ms = switch (action) {
                    case "stop-short" -> 300 + random.nextInt(TIMEOUT_MS - INTERVAL_MS - 700);
                    // silence counts from the last frame heard, up to an interval before the freeze
                    case "stop-grace" -> TIMEOUT_MS + 100 + random.nextInt((int) DETECTION - TIMEOUT_MS - INTERVAL_MS - 200);
                    default -> DETECTION + 1500 + random.nextInt(1500);
                };
                if (action.equals("stop-long")) {
                    ledger.allow(ids(group), "SIGSTOP " + ms + " ms", NETWORK);
                }
                group.process.signal("STOP");
                later(ms, () -> group.process.signal("CONT"));
                quiet = true;
                plan.add(action + " " + group + " " + ms + "ms");
            }
            case "force" -> {
                List<String> ids = ids(group);
                if (ids.isEmpty()) {
                    return;
                }
                String victim = ids.get(random.nextInt(ids.size()));
                ledger.allow(List.of(victim), "force-disconnect", "forceDisconnected");
                if (harness.admin.forceDisconnect(sessionId, victim)) {
                    group.members--;
                }
                plan.add("force " + group);
            }
            case "reset" -> {
                ledger.allow(ids(group), "reset link", NETWORK); // or nothing: it resumes in its grace
                group.link.reset();
                quiet = true;
                plan.add("reset " + group);
            }
            case "stall" -> {
                long ms = 500 + random.nextInt(6000);
                ledger.allow(ids(group), "stalled link " + ms + " ms", NETWORK); // or nothing
                group.link.stall(ms);
                later(ms, () -> { });
                quiet = true;
                plan.add("stall " + group + " " + ms + "ms");
            }
            default -> throw new IllegalStateException(action);
        }
    }

    private static final long DETECTION = Chaos.DETECTION_MS;

    /**
     * A node's death is told by its lease running out plus the silent grace (docs/scale-out.md: 2 s
     * lease + a quarter of it + 1.5 s, within 5 s); its members that did not resume elsewhere are
     * reported then, and the round must not settle on rosters that agree before that.
     */
    static final long NODE_DEATH_MS = 5000;

    /**
     * kill -9 of the server and a new one on its port: every connection is lost (old IDs reconciled).
     * With several nodes, one node drawn from the seed: its clients resume through the others (the
     * proxy sends each new link to the next live node) or through it once restarted; which clients
     * it held is not known here, so every member may be dropped as networkDisconnected.
     */
    private void restart(List<String> plan) {
        List<String> all = new ArrayList<>();
        for (Chaos.Group group : groups) {
            if (group.alive() && group.members > 0) {
                all.addAll(ids(group));
            }
        }
        for (WatchProcess watcher : harness.watchers()) {
            all.add(watcher.view().own()); // an observer is lost too (a null own: not yet connected)
        }
        ledger.allow(all, "server restart", NETWORK);
        int nodes = harness.server.nodes();
        if (nodes > 1) {
            int node = random.nextInt(nodes); // drawn only with nodes: a one-node seed replays as before
            harness.progress.note("chaos: kill -9 of node" + (node + 1) + " of " + nodes + ", then a restart");
            harness.server.killAndRestart(node);
            later(NODE_DEATH_MS, () -> { });
        } else {
            harness.server.killAndRestart();
        }
        plan.add("server-restart");
    }

    /** The connection IDs of the group's connected clients now. */
    private List<String> ids(Chaos.Group group) {
        if (group.process == null) {
            return harness.java().connectedIds();
        }
        return group.process.rosters(false, TIMEOUT).stream().filter(RosterLine::connected).map(RosterLine::id)
                .toList();
    }

    private synchronized void later(long ms, Runnable action) {
        timersEndNs = Math.max(timersEndNs, System.nanoTime() + ms * 1_000_000);
        timers.schedule(action, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Returns once every SIGCONT and stall of the round is done and, after a cut or a freeze,
     * {@link #QUIET_MS} more: a grace may still be running, and the rosters agree until it ends.
     */
    void awaitTimers() {
        long wait;
        synchronized (this) {
            wait = (timersEndNs - System.nanoTime()) / 1_000_000;
        }
        long quietMs = quiet ? QUIET_MS : 0;
        quiet = false;
        if (wait + quietMs > 0) {
            Clients.sleep(Math.max(0, wait) + quietMs + 50); // durations the protocol sets, not a guess
        }
        try {
            timers.submit(() -> { }).get(10, TimeUnit.SECONDS); // the last signal has run
        } catch (Exception e) {
            throw new HarnessException("chaos timers: " + e.getMessage(), e);
        }
    }

    /** The drops the Java clients saw since the last call. */
    List<JavaClients.Drop> newJavaDrops() {
        List<JavaClients.Drop> all = harness.java().drops();
        List<JavaClients.Drop> fresh = all.subList(Math.min(javaDropsSeen, all.size()), all.size());
        javaDropsSeen = all.size();
        return fresh;
    }
}
