package org.rollcall.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rollcall.Connection;
import org.rollcall.DropReason;
import org.rollcall.Session;
import org.rollcall.server.App;
import org.rollcall.server.RollcallServer;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;

/**
 * The example as a user runs it: its jar and its runtime dependencies copied alone to an empty
 * directory, a fresh JVM with an empty JavaCPP cache, against a real server.
 */
@Timeout(120)
class ConnectionCounterIT {
    private static final String KEY = "examples";
    private static final String SECRET = "examples-secret";
    private static final String SESSION = "counted";

    @TempDir
    Path dir;

    @Test
    void countsClientsComingAndGoing() throws Exception {
        TokenGenerator tokens = new TokenGenerator(KEY, SECRET);
        try (RollcallServer server = RollcallServer.builder().host("127.0.0.1").port(0).app(new App(KEY, SECRET)).build().start()) {
            URI uri = URI.create("ws://127.0.0.1:" + server.port());
            Process counter = start(uri, tokens.generate(SESSION, TokenOptions.defaults().data("counter")));
            BlockingQueue<String> lines = readLines(counter);
            try {
                assertTrue(next(lines).startsWith("Connected to counted as "));
                CountDownLatch counterLeft = new CountDownLatch(1);
                Connection[] left = new Connection[1];
                try (Session observer = new Session.Builder(uri, KEY, SESSION)
                        .connectionListener(new Session.ConnectionListener() {
                            @Override
                            public void onConnectionDestroyed(Session session, Connection connection) {
                                left[0] = connection;
                                counterLeft.countDown();
                            }
                        }).build()) {
                    observer.connect(tokens.generate(SESSION));
                    assertEquals("Another client connected. 1 total.", next(lines));
                    try (Session second = new Session.Builder(uri, KEY, SESSION).build()) {
                        second.connect(tokens.generate(SESSION));
                        assertEquals("Another client connected. 2 total.", next(lines));
                    }
                    assertEquals("A client disconnected. 1 total.", next(lines));

                    counter.destroy(); // SIGTERM: the binding leaves the session cleanly on the way out
                    assertTrue(counter.waitFor(30, TimeUnit.SECONDS));
                    assertTrue(counterLeft.await(10, TimeUnit.SECONDS));
                    assertEquals(Optional.of(DropReason.CLIENT_DISCONNECTED), left[0].getDropReason());
                }
            } finally {
                counter.destroyForcibly();
            }
        }
    }

    @Test
    void aBadTokenEndsWithTheErrorCode() throws Exception {
        try (RollcallServer server = RollcallServer.builder().host("127.0.0.1").port(0).app(new App(KEY, SECRET)).build().start()) {
            Process counter = start(URI.create("ws://127.0.0.1:" + server.port()), "rc1.forged.token");
            assertTrue(counter.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, counter.exitValue());
            String stderr = new String(counter.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(stderr.contains("Error 1004: "), stderr);
        }
    }

    private Process start(URI uri, String token) throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Path jar = Paths.get(System.getProperty("examples.jar"));
        if (!Files.exists(app.resolve(jar.getFileName()))) {
            Files.copy(jar, app.resolve(jar.getFileName()));
            try (Stream<Path> deps = Files.list(Paths.get(System.getProperty("examples.runtimeDeps")))) {
                for (Path dep : (Iterable<Path>) deps::iterator) {
                    Files.copy(dep, app.resolve(dep.getFileName()));
                }
            }
        }
        ProcessBuilder builder = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("cache"),
                "-cp", app + "/*",
                ConnectionCounter.class.getName(), uri.toString(), KEY, SESSION, token)
                .directory(dir.toFile());
        builder.environment().remove("LD_LIBRARY_PATH");
        return builder.start();
    }

    private static BlockingQueue<String> readLines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private static String next(BlockingQueue<String> lines) throws InterruptedException {
        String line = lines.poll(20, TimeUnit.SECONDS);
        assertNotNull(line, "the example printed nothing more");
        return line;
    }
}
