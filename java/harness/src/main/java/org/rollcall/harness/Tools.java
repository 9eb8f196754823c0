package org.rollcall.harness;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Finds the C tools (otc-load, otc-watch) that java/binding's CMake build installs. */
final class Tools {
    private static final String INSTALLED = "java/binding/target/native/bin";

    private Tools() {
    }

    /**
     * In order: system property {@code rollcall.<camelName>} (e.g. {@code rollcall.otcLoad}),
     * environment variable ({@code OTC_LOAD}), the build tree under the working directory, the build
     * tree next to the harness jar.
     */
    static Path find(String name) {
        List<Path> candidates = new ArrayList<>();
        String property = System.getProperty("rollcall." + camel(name));
        if (property != null) {
            return Path.of(property);
        }
        String env = System.getenv(name.toUpperCase(Locale.ROOT).replace('-', '_'));
        if (env != null) {
            return Path.of(env);
        }
        candidates.add(Path.of(INSTALLED, name));
        jarDirectory().ifPresent(dir -> candidates.add(dir.resolve("../../binding/target/native/bin").resolve(name)));
        for (Path candidate : candidates) {
            if (Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().normalize();
            }
        }
        throw new HarnessException("cannot find " + name + " (looked in " + candidates + "); give its path, "
                + "or build it: mvn -pl java/binding install");
    }

    /** {@code node} (Node 20): system property {@code rollcall.node}, else the one on the PATH. */
    static Path node() {
        String property = System.getProperty("rollcall.node");
        if (property != null) {
            return Path.of(property);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "node");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new HarnessException("no node on the PATH (the JS clients need Node 20); give -Drollcall.node=PATH");
    }

    /**
     * The JS clients' script, {@code js/packages/load/chaos-clients.mjs} (it needs {@code npm ci} in
     * {@code js/}): system property {@code rollcall.jsClients}, else found from the working directory
     * or the harness jar upwards.
     */
    static Path jsClients() {
        String property = System.getProperty("rollcall.jsClients");
        if (property != null) {
            return Path.of(property);
        }
        String script = "js/packages/load/chaos-clients.mjs";
        List<Path> starts = new ArrayList<>();
        starts.add(Path.of("").toAbsolutePath());
        jarDirectory().ifPresent(starts::add);
        for (Path start : starts) {
            for (Path dir = start; dir != null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve(script))) {
                    return dir.resolve(script).normalize();
                }
            }
        }
        throw new HarnessException("cannot find " + script + " above " + starts + "; give -Drollcall.jsClients=PATH");
    }

    private static String camel(String name) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : name.toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static java.util.Optional<Path> jarDirectory() {
        try {
            Path location = Path.of(Tools.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return java.util.Optional.of(Files.isDirectory(location) ? location : location.getParent());
        } catch (URISyntaxException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }
}
