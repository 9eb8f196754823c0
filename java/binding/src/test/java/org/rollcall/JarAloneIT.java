package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application on another machine gets only our jar and its Java dependencies:
 * copy exactly those to an empty directory and run Rollcall in a fresh JVM with
 * an empty JavaCPP cache, so every native library must come out of the jar.
 */
class JarAloneIT {
    private static final String NATIVE_DIR = "org/rollcall/binding/linux-x86_64/";
    private static final List<String> SHIPPED = List.of(
            "libjniotc.so", "libotc.so.0", "libwebsockets.so.17", "libcjson.so.1");

    private final Path jar = Paths.get(System.getProperty("rollcall.jar"));
    private final Path runtimeDeps = Paths.get(System.getProperty("rollcall.runtimeDeps"));

    @TempDir
    Path dir;

    @Test
    void runsFromTheJarAndItsJavaDependenciesAlone() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.copy(jar, app.resolve(jar.getFileName()));
        try (Stream<Path> deps = Files.list(runtimeDeps)) {
            for (Path dep : (Iterable<Path>) deps::iterator) {
                Files.copy(dep, app.resolve(dep.getFileName()));
            }
        }
        Path cache = dir.resolve("cache");

        ProcessBuilder builder = new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + cache,
                "-cp", app + "/*",
                "org.rollcall.Rollcall")
                .directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        builder.environment().remove("LD_LIBRARY_PATH");
        Process process = builder.start();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "java did not finish within 60 s");

        String stderr = Files.readString(dir.resolve("stderr"));
        assertEquals(0, process.exitValue(), "stderr:\n" + stderr);
        assertEquals(System.getProperty("otc.expected.version"), Files.readString(dir.resolve("stdout")).strip());
        List<String> extracted;
        try (Stream<Path> files = Files.walk(cache)) {
            extracted = files.map(f -> f.getFileName().toString()).toList();
        }
        assertTrue(extracted.containsAll(SHIPPED), "extracted from the jar: " + extracted);
    }

    @Test
    void shippedLibrariesHaveNoAbsoluteRunpath() throws Exception {
        List<String> found = new ArrayList<>();
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            for (JarEntry entry : (Iterable<JarEntry>) jarFile.stream()::iterator) {
                if (!entry.getName().startsWith(NATIVE_DIR) || entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName().substring(NATIVE_DIR.length());
                found.add(name);
                Path lib = dir.resolve(name);
                try (InputStream in = jarFile.getInputStream(entry)) {
                    Files.copy(in, lib);
                }
                for (String runPath : runPaths(lib)) {
                    assertTrue(runPath.startsWith("$ORIGIN"), name + " has run path " + runPath);
                }
            }
        }
        assertTrue(found.containsAll(SHIPPED), "jar ships " + found + ", expected " + SHIPPED);
    }

    /** The RUNPATH and RPATH entries of an ELF file, as readelf shows them. */
    private static List<String> runPaths(Path elf) throws IOException, InterruptedException {
        Process readelf = new ProcessBuilder("readelf", "-d", elf.toString()).redirectErrorStream(true).start();
        String output = new String(readelf.getInputStream().readAllBytes());
        assertTrue(readelf.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, readelf.exitValue(), output);
        List<String> paths = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.contains("(RUNPATH)") || line.contains("(RPATH)")) {
                String value = line.substring(line.indexOf('[') + 1, line.lastIndexOf(']'));
                paths.addAll(List.of(value.split(":")));
            }
        }
        return paths;
    }
}
