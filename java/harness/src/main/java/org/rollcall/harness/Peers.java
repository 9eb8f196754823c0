package org.rollcall.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The peers in the same run, at the same sizes, on the same machine and placement (docs/harness.md,
 * "Peers"): MQTT presence on Mosquitto (retained "online", Last Will "offline"; mqtt-load, C with
 * libmosquitto) and Socket.IO 4.8 rooms (bench/peers/socketio, Node). Each peer's load generator
 * runs a whole measurement and prints one JSON line; this class starts the peer's server, runs
 * them, and keeps the figures as the report wants them.
 */
final class Peers {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to measure, shared by both peers. */
    record Plan(int runs, List<Integer> storms, List<Integer> loneSizes, int probes, int observers,
                boolean stop) {
    }

    /** One peer: how to start its server on a port, and its load generator's command. */
    private record Peer(String name, String description, List<String> server, List<String> load) {
    }

    private Peers() {
    }

    /** Both peers; a peer whose tools are missing is reported as not run, with the reason. */
    static Map<String, Object> measure(Path mqttLoad, Path socketioDir, Placement placement, Path workDir,
                                       Plan plan) {
        Map<String, Object> peers = new LinkedHashMap<>();
        peers.put("mosquitto", run(mosquitto(mqttLoad, workDir), placement, workDir, plan));
        peers.put("socketio", run(socketio(socketioDir), placement, workDir, plan));
        return peers;
    }

    private static Peer mosquitto(Path mqttLoad, Path workDir) {
        Path broker = Path.of("/usr/sbin/mosquitto");
        if (!Files.isExecutable(broker) || mqttLoad == null || !Files.isExecutable(mqttLoad)) {
            return new Peer("Mosquitto", "not run: needs Debian's mosquitto and mqtt-load (libmosquitto-dev; "
                    + "scripts/bench installs both)", null, null);
        }
        return new Peer("Mosquitto", "Mosquitto " + version(broker) + ", QoS 1, retained \"online\" plus a Last "
                + "Will \"offline\", keepalive 60 s; max_queued_messages raised to 1,000,000 (at the stock 1000 a "
                + "member that falls behind silently misses presence) and allow_duplicate_messages true (the "
                + "2.0.11 default is about 2.5x slower); its listen backlog is hard-coded at 100, so a burst of "
                + "connects overflows into TCP's SYN back-off", List.of(broker.toString(), "-c", "%CONFIG%"),
                List.of(mqttLoad.toString()));
    }

    private static Peer socketio(Path dir) {
        Path node = Path.of("/usr/bin/node");
        if (!Files.isExecutable(node) || !Files.isDirectory(dir.resolve("node_modules/socket.io"))) {
            return new Peer("Socket.IO", "not run: needs node and `npm ci` in " + dir + " (scripts/bench runs it)",
                    null, null);
        }
        return new Peer("Socket.IO", "Socket.IO " + socketioVersion(dir) + " rooms on Node " + version(node)
                + ", WebSocket transport only, default pingInterval 25 s and pingTimeout 20 s",
                List.of(node.toString(), dir.resolve("server.js").toString(), "%PORT%"),
                List.of(node.toString(), dir.resolve("load.js").toString()));
    }

    private static Map<String, Object> run(Peer peer, Placement placement, Path workDir, Plan plan) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("name", peer.name());
        result.put("setup", peer.description());
        if (peer.server() == null) {
            System.out.println("peers: " + peer.name() + " " + peer.description());
            return result;
        }
        int port = freePort();
        Process server = startServer(peer, placement, workDir, port);
        try {
            Map<String, Object> storms = new LinkedHashMap<>();
            for (int n : plan.storms()) {
                List<Double> ms = new ArrayList<>();
                try {
                    for (int run = 0; run < plan.runs(); run++) {
                        ms.add(load(peer, placement, port, Math.max(60, n / 10), "--mode", "storm", "--members",
                                Integer.toString(n)).path("convergence_ms").asDouble());
                    }
                    storms.put(Integer.toString(n), Stats.runs(ms));
                } catch (HarnessException e) {
                    storms.put(Integer.toString(n), Map.of("failed", e.getMessage(), "runs_before", ms.size()));
                    break; // the bigger storms would fail too, slower
                }
                System.out.printf("peers: %s storm %d: %s%n", peer.name(), n, storms.get(Integer.toString(n)));
            }
            result.put("storm", storms);
            Map<String, Object> lone = new LinkedHashMap<>();
            for (int m : plan.loneSizes()) {
                lone.put(Integer.toString(m), lone(peer, placement, port, m, plan));
            }
            result.put("lone", lone);
            result.put("killed", departure(peer, placement, port, plan, "kill"));
            if (plan.stop()) {
                result.put("vanished", departure(peer, placement, port, plan, "stop"));
            }
        } catch (HarnessException e) {
            result.put("failed", e.getMessage());
        } finally {
            server.destroyForcibly();
        }
        return result;
    }

    /** Lone joins and clean leaves: pooled percentiles, and each run's p95 (runs of consecutive probes). */
    private static Map<String, Object> lone(Peer peer, Placement placement, int port, int members, Plan plan) {
        try {
            JsonNode line = load(peer, placement, port, 600, "--mode", "lone", "--members", Integer.toString(members),
                    "--probes", Integer.toString(plan.probes()));
            Map<String, Object> lone = new LinkedHashMap<>();
            List<Double> joins = doubles(line.path("join_ms"));
            lone.put("join_ms", Stats.of(joins).toJson());
            lone.put("leave_ms", Stats.of(doubles(line.path("leave_ms"))).toJson());
            int perRun = Math.max(1, joins.size() / plan.runs());
            List<Double> tails = new ArrayList<>();
            for (int from = 0; from + perRun <= joins.size() && tails.size() < plan.runs(); from += perRun) {
                tails.add(Stats.of(joins.subList(from, from + perRun)).percentile(95));
            }
            lone.put("join_run_p95_ms", Stats.runs(tails));
            System.out.printf("peers: %s lone join at %d: p50 %.2f ms%n", peer.name(), members,
                    Stats.of(joins).percentile(50));
            return lone;
        } catch (HarnessException e) {
            return Map.of("failed", e.getMessage());
        }
    }

    /** {@code runs} victims killed (or stopped) at once, each seen gone by every observer. */
    private static Map<String, Object> departure(Peer peer, Placement placement, int port, Plan plan, String kind) {
        try {
            JsonNode line = load(peer, placement, port, 300, "--mode", "departure", "--members",
                    Integer.toString(plan.observers()), "--victims", Integer.toString(plan.runs()), "--kind", kind);
            Map<String, Object> result = new LinkedHashMap<>(Stats.runs(doubles(line.path("ms"))));
            result.put("observers", plan.observers());
            System.out.printf("peers: %s departure %s: %s%n", peer.name(), kind, result);
            return result;
        } catch (HarnessException e) {
            return Map.of("failed", e.getMessage());
        }
    }

    private static Process startServer(Peer peer, Placement placement, Path workDir, int port) {
        try {
            Path config = workDir.resolve("mosquitto-" + port + ".conf");
            Files.writeString(config, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    + "max_queued_messages 1000000\nallow_duplicate_messages true\nlog_type error\n");
            List<String> command = peer.server().stream()
                    .map(arg -> arg.replace("%CONFIG%", config.toString()).replace("%PORT%", Integer.toString(port)))
                    .toList();
            Process process = new ProcessBuilder(placement.serverCommand(command)).redirectErrorStream(true)
                    .redirectOutput(workDir.resolve(peer.name() + "-server.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && process.isAlive()) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return process;
                } catch (IOException notYet) {
                    Clients.sleep(50); // nothing to await but the port
                }
            }
            process.destroyForcibly();
            throw new HarnessException(peer.name() + " did not listen on " + port + " within 30 s");
        } catch (IOException e) {
            throw new HarnessException("cannot start " + peer.name() + ": " + e.getMessage(), e);
        }
    }

    /** Runs the peer's load generator once; its last JSON line, or an exception with what it said. */
    private static JsonNode load(Peer peer, Placement placement, int port, int timeoutSeconds, String... args) {
        List<String> command = new ArrayList<>(peer.load());
        command.addAll(List.of("--port", Integer.toString(port), "--timeout", Integer.toString(timeoutSeconds)));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(placement.clientCommand(command)).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes(); // ends when the process does
            boolean ended = process.waitFor(timeoutSeconds + 30L, TimeUnit.SECONDS);
            String text = new String(output, StandardCharsets.UTF_8);
            JsonNode last = null;
            for (String line : text.split("\n")) {
                if (line.startsWith("{")) {
                    last = JSON.readTree(line);
                }
            }
            if (!ended || process.exitValue() != 0 || last == null || last.path("type").asText().equals("error")) {
                process.destroyForcibly();
                throw new HarnessException(peer.name() + " " + String.join(" ", args) + ": "
                        + (last != null ? last.toString() : text.strip()));
            }
            return last;
        } catch (IOException e) {
            throw new HarnessException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HarnessException("interrupted");
        }
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asDouble()));
        return values;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new HarnessException("no free port: " + e.getMessage(), e);
        }
    }

    private static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), binary.endsWith("node") ? "--version" : "-h")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            String first = out.lines().findFirst().orElse("").strip();
            return first.replaceAll("^mosquitto version ", "").replaceAll("^v", "");
        } catch (IOException e) {
            return "(version unknown)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(version unknown)";
        }
    }

    private static String socketioVersion(Path dir) {
        try {
            return JSON.readTree(dir.resolve("node_modules/socket.io/package.json").toFile()).path("version").asText();
        } catch (IOException e) {
            return "(version unknown)";
        }
    }
}
