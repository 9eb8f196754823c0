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
