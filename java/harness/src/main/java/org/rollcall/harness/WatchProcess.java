package org.rollcall.harness;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@code otc-watch} process: one C client that prints OpenTok-style lines
 * ({@code Another client connected. 4 total. [ID]}, with {@code --ids}). The harness keeps the last
 * total and the IDs the watcher holds, which must be the server's list of the session minus its own.
 */
final class WatchProcess implements AutoCloseable {
    private static final Pattern TOTAL = Pattern.compile("(\\d+) total\\.");
    private static final Pattern ID = Pattern.compile(" \\[([^\\]]+)\\]$");

    private final String name;
    private final String sessionId;
    private final Process process;
    private volatile int total = -1;
    private volatile boolean connected;
    private volatile String own;
    private final Set<String> ids = ConcurrentHashMap.newKeySet();
    private volatile boolean printsIds;

    private WatchProcess(String name, String sessionId, Process process) {
        this.name = name;
        this.sessionId = sessionId;
        this.process = process;
        Thread reader = new Thread(this::readLines, "otc-watch-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    static WatchProcess start(Path otcWatch, String name, String wsUrl, String apiKey, String sessionId,
                              String token, Path workDir) throws IOException {
        Process process = new ProcessBuilder(List.of(otcWatch.toString(), "--url", wsUrl, "--api-key", apiKey,
                "--session", sessionId, "--token", token, "--quiet", "--ids"))
                .redirectError(workDir.resolve(name + ".err").toFile())
                .start();
        return new WatchProcess(name, sessionId, process);
    }

    String name() {
        return name;
    }

    String sessionId() {
        return sessionId;
    }

    /** The last "N total." it printed (this client included), or -1. */
    int total() {
        return total;
    }

    /** The watcher's view by identity: its own ID and the others it holds; null IDs if it printed none. */
    WatchView view() {
        return new WatchView(total, own, printsIds ? Set.copyOf(ids) : null);
    }

    /** What an otc-watch holds: the count it printed, and by identity when it printed IDs. */
    record WatchView(int total, String own, Set<String> ids) {
    }

    boolean connected() {
        return connected && process.isAlive();
    }

    boolean alive() {
        return process.isAlive();
    }

    void kill() {
        process.destroyForcibly();
    }

    long pid() {
        return process.pid();
    }

    private void readLines() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                Matcher id = ID.matcher(line);
                if (id.find()) {
                    printsIds = true;
                    if (line.startsWith("You have connected") || line.startsWith("You have reconnected")) {
                        own = id.group(1); // a new one after the server forgot the old (a restart)
                    } else if (line.startsWith("Another client connected")) {
                        ids.add(id.group(1));
                    } else if (line.startsWith("A client disconnected")) {
                        ids.remove(id.group(1));
                    }
                }
                if (line.startsWith("You have connected")) {
                    connected = true;
                    total = Math.max(total, 1);
                }
                Matcher m = TOTAL.matcher(line);
                if (m.find()) {
                    total = Integer.parseInt(m.group(1));
                }
            }
        } catch (IOException e) {
            // ended
        }
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM: otc-watch disconnects cleanly
        try {
            if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
