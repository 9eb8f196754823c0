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
            "libjniotc.so", "libotc.so.0", "libuv.so.1", "libwslay.so.1");

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

    /**
     * Proves the bundled libraries were loaded, not only extracted: a probe run from the jar alone
     * lists the shared objects mapped into its process (/proc/self/maps). Where a private mount
     * namespace is allowed (root, as in CI), the system's copies of libuv and libwslay are
     * masked (bind-mounted over by an empty file), so a load from the system would fail outright.
     */
    @Test
    void theBundledLibrariesAreTheOnesLoaded() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.copy(jar, app.resolve(jar.getFileName()));
        try (Stream<Path> deps = Files.list(runtimeDeps)) {
            for (Path dep : (Iterable<Path>) deps::iterator) {
                Files.copy(dep, app.resolve(dep.getFileName()));
            }
        }
        Path cache = dir.resolve("cache");
        Path probe = dir.resolve("MapsProbe.java");
        Files.writeString(probe, """
                public class MapsProbe {
                    public static void main(String[] args) throws Exception {
                        System.out.println("version " + org.rollcall.Rollcall.version());
                        new org.rollcall.Session.Builder(java.net.URI.create("ws://127.0.0.1:9"), "k", "s").build().close();
                        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps"))) {
                            if (line.contains(".so")) {
                                System.out.println("map " + line.substring(line.lastIndexOf(' ') + 1));
                            }
                        }
                    }
                }
                """);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String run = java + " -Dorg.bytedeco.javacpp.cachedir=" + cache + " -cp '" + app + "/*' " + probe;
        List<String> masked = new ArrayList<>();
        for (String lib : List.of("libuv.so.1", "libwslay.so.1")) {
            Path system = Paths.get("/usr/lib/x86_64-linux-gnu", lib);
            if (Files.exists(system)) {
                masked.add(system.toString());
            }
        }
        StringBuilder script = new StringBuilder("set -e\n");
        boolean canMask = canUnshare();
        if (canMask) {
            for (String system : masked) {
                script.append("mount --bind /dev/null ").append(system).append("\n");
            }
        }
        script.append("exec ").append(run).append("\n");
        List<String> command = canMask ? List.of("unshare", "-m", "sh", "-c", script.toString())
                : List.of("sh", "-c", script.toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().remove("LD_LIBRARY_PATH");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the probe did not finish within 60 s");
        assertEquals(0, process.exitValue(), output);
        for (String lib : SHIPPED) {
            assertTrue(output.lines().anyMatch(line -> line.startsWith("map " + cache) && line.endsWith("/" + lib)),
                    lib + " not mapped from the JavaCPP cache " + cache + " (system copies masked: " + canMask
                            + "):\n" + output);
        }
        assertTrue(output.lines().noneMatch(line -> line.startsWith("map /usr/") && (line.contains("libuv.so")
                || line.contains("libwslay") || line.contains("libotc"))), output);
    }

    private static boolean canUnshare() {
        try {
            Process probe = new ProcessBuilder("unshare", "-m", "true").redirectErrorStream(true).start();
            probe.getInputStream().readAllBytes();
            return probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void shippedLibrariesHaveNoAbsoluteBuildPathsAndNoDebugSections() throws Exception {
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            for (String name : SHIPPED) {
                Path lib = dir.resolve(name);
                try (InputStream in = jarFile.getInputStream(jarFile.getJarEntry(NATIVE_DIR + name))) {
                    Files.copy(in, lib);
                }
                String text = new String(Files.readAllBytes(lib), java.nio.charset.StandardCharsets.ISO_8859_1);
                assertTrue(!text.contains(System.getProperty("user.dir")) && !text.contains("/tmp/"),
                        name + " holds an absolute build path");
                assertTrue(!text.contains(".debug_info"), name + " has debug sections");
            }
        }
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
