package org.rollcall.harness;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a report needs to be traced and repeated: the commit it ran, whether the tree had
 * uncommitted changes (then the figures belong to no commit), the sha256 of every jar and binary it
 * ran, and the exact command. {@code scripts/bench} passes its own command line in
 * {@code ROLLCALL_BENCH_COMMAND}; run directly, the harness's arguments stand in.
 */
final class Provenance {
    private Provenance() {
    }

    /** @param artifacts label to file, e.g. "server jar" to rollcall-server.jar; missing files are said so */
    static Map<String, Object> collect(Map<String, Path> artifacts, String fallbackCommand) {
        Map<String, Object> p = new LinkedHashMap<>();
        Path root = Path.of("").toAbsolutePath();
        p.put("commit", git(root, "rev-parse", "HEAD").strip());
        String status = git(root, "status", "--porcelain", "--untracked-files=no");
        List<String> changed = status.lines().filter(line -> !line.isBlank()).map(String::strip).toList();
        p.put("dirty", !changed.isEmpty());
        p.put("uncommitted_files", changed.size() > 20
                ? List.copyOf(changed.subList(0, 20)) + " and " + (changed.size() - 20) + " more" : changed);
        String command = System.getenv("ROLLCALL_BENCH_COMMAND");
        p.put("command", command != null && !command.isBlank() ? command : fallbackCommand);
        Map<String, Object> hashes = new LinkedHashMap<>();
        artifacts.forEach((label, file) -> hashes.put(label, file == null ? "not used"
                : file.toAbsolutePath().normalize() + " sha256 " + sha256(file)));
        p.put("artifacts", hashes);
        return p;
    }

    /** The harness jar (or classes directory) this code runs from. */
    static Path harnessJar() {
        try {
            return Path.of(Provenance.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            return null;
        }
    }

    static String sha256(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return "(missing or not a file)";
        }
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private static String git(Path root, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("git", "-C", root.toString()));
        command.addAll(List.of(args));
        try {
            Process git = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!git.waitFor(30, TimeUnit.SECONDS) || git.exitValue() != 0) {
                return "unknown (git " + args[0] + " failed: " + out.strip() + ")";
            }
            return out;
        } catch (IOException e) {
            return "unknown (no git: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }
}
