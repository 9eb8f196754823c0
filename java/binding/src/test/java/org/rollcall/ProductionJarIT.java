package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * libotc's test hooks live in libotc-testing.so.0: the test-jar carries it (with the natives that
 * use it), the production jar neither carries it nor refers to its symbols.
 */
class ProductionJarIT {
    private final Path jar = Paths.get(System.getProperty("rollcall.jar"));
    private final Path testJar = Paths.get(System.getProperty("rollcall.testJar"));
    private final Path runtimeDeps = Paths.get(System.getProperty("rollcall.runtimeDeps"));

    @TempDir
    Path dir;

    /** What scripts/bench runs: the callback-cost benchmark from the two jars alone. */
    @Test
    void theCallbackBenchmarkRunsFromTheJarsAlone() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.copy(jar, app.resolve(jar.getFileName()));
        Files.copy(testJar, app.resolve(testJar.getFileName()));
        try (Stream<Path> deps = Files.list(runtimeDeps)) {
            for (Path dep : (Iterable<Path>) deps::iterator) {
                Files.copy(dep, app.resolve(dep.getFileName()));
            }
        }
        ProcessBuilder builder = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("cache"),
                "-cp", app + "/*", "org.rollcall.bench.CallbackCost", "20000", "1")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile());
        builder.environment().remove("LD_LIBRARY_PATH");
        Process process = builder.start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the benchmark did not finish within 120 s");
        String output = Files.readString(dir.resolve("output"));
        assertEquals(0, process.exitValue(), output);
        List<String> lines = output.strip().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("{") && last.contains("\"java_ns_per_event\":"), output);
    }

    @Test
    void theProductionJarHasNoTestHooks() throws Exception {
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            for (JarEntry entry : (Iterable<JarEntry>) jarFile.stream()::iterator) {
                String name = entry.getName();
                assertFalse(name.contains("TestHooks") || name.contains("TestNatives") || name.contains("/bench/")
                        || name.contains("/testing/") || name.contains("otc-testing"), "production jar holds " + name);
            }
            Path core = dir.resolve("libjniotc.so");
            try (InputStream in = jarFile.getInputStream(
                    jarFile.getJarEntry("org/rollcall/binding/linux-x86_64/libjniotc.so"))) {
                Files.copy(in, core);
            }
            Process readelf = new ProcessBuilder("readelf", "--dyn-syms", "--wide", core.toString())
                    .redirectErrorStream(true).start();
            String symbols = new String(readelf.getInputStream().readAllBytes());
            assertTrue(readelf.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, readelf.exitValue(), symbols);
            assertTrue(symbols.contains("otc_session_new"), symbols);
            for (String line : symbols.split("\n")) {
                // otc_connection_get_event_epoch/_seq were test hooks until they became public API (OTC_1).
                assertFalse(line.contains("otc_session_test_") || line.contains("otc_test_")
                        || line.contains("otc_private_"), "libjniotc.so refers to a test hook: " + line);
            }
        }
    }
}
