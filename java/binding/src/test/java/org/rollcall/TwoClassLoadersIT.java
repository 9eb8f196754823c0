package org.rollcall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A webapp redeploy: the binding's jar loaded by two class loaders of one JVM (TwoLoadersMain, in
 * a fresh JVM whose own class path holds none of the binding). JavaCPP gives each loader its own
 * copy of libjniotc, so each copy's statics point at its own loader's upcalls; libotc's one log
 * callback goes to the loader that started last.
 */
class TwoClassLoadersIT {
    @TempDir
    Path dir;

    @Test
    void aSecondClassLoaderLoadsTheBindingAndTakesOverLibotcsCallbacks() throws Exception {
        Path jar = Paths.get(System.getProperty("rollcall.jar"));
        Path testClasses = Paths.get(TwoLoadersMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        // Only TwoLoadersMain on the JVM's own class path.
        Path main = Files.createDirectories(dir.resolve("main/org/rollcall"));
        Files.copy(testClasses.resolve("org/rollcall/TwoLoadersMain.class"), main.resolve("TwoLoadersMain.class"));
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("cache"),
                "-Dorg.slf4j.simpleLogger.log.org.rollcall.native=info",
                "-cp", dir.resolve("main").toString(), TwoLoadersMain.class.getName(),
                jar.toString(), testClasses.toString()));
        try (Stream<Path> deps = Files.list(Paths.get(System.getProperty("rollcall.runtimeDeps")))) {
            deps.forEach(dep -> command.add(dep.toString()));
        }
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains("slf4j-simple")) {
                command.add(entry); // a logger in each loader, so libotc logs at INFO
            }
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("output").toFile()).start();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "did not finish within 120 s");
        String output = Files.readString(dir.resolve("output"));
        assertEquals(0, process.exitValue(), output);
        assertTrue(output.contains("ok"), output);
    }
}
