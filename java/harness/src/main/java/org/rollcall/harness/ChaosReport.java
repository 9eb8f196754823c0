package org.rollcall.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chaos run's report ({@code scripts/chaos}): {@code <date>-chaos-seed<S>.md} and {@code .json}
 * with the provenance (commit, dirty flag, artifact hashes, command), the rounds asked and completed,
 * the divergences with the seed and round that reproduce them, and how often each disturbance ran.
 */
final class ChaosReport {
    private ChaosReport() {
    }

    static Path write(Path dir, ScenarioResult result, Map<String, Object> provenance, Map<String, Object> sizes)
            throws IOException {
        Files.createDirectories(dir);
        Map<String, Object> f = result.figures();
        String base = LocalDate.now(ZoneOffset.UTC) + "-chaos-seed" + f.get("seed");
        Map<String, Object> json = new LinkedHashMap<>(result.toJson());
        json.put("provenance", provenance);
        json.put("sizes", sizes);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve(base + ".json").toFile(), json);

        StringBuilder md = new StringBuilder();
        md.append("# Chaos run, seed ").append(f.get("seed")).append("\n\n");
        if (Boolean.TRUE.equals(provenance.get("dirty"))) {
            md.append("**DIRTY: the working tree had uncommitted changes; this run belongs to no commit.** ")
                    .append(provenance.get("uncommitted_files")).append("\n\n");
        }
        md.append("| | |\n|---|---|\n");
        row(md, "rounds asked", f.get("rounds_asked"));
        row(md, "rounds completed without divergence", f.get("rounds_completed"));
        if (((Number) f.get("time_budget_min")).longValue() > 0) {
            row(md, "time budget", f.get("time_budget_min") + " min (`--max-minutes`): no round starts after it");
        }
        row(md, "divergences", f.get("divergences") + (result.passed() ? "" : " (the run stops at the first)"));
        row(md, "elapsed", String.format("%.1f min", result.elapsedMs() / 60000.0));
        row(md, "clients at the start", sizes);
        row(md, "disturbances", f.get("actions"));
        row(md, "commit", provenance.get("commit"));
        row(md, "command", "`" + provenance.get("command") + "`");
        Object artifacts = provenance.get("artifacts");
        if (artifacts instanceof Map<?, ?> map) {
            map.forEach((label, hash) -> row(md, String.valueOf(label), hash));
        }
        if (!result.passed()) {
            md.append("\n## Divergence\n\nRound ").append(f.get("divergent_round")).append(". Reproduce: `")
                    .append(f.get("reproduce")).append("`.\n\n");
            result.violations().stream().limit(30).forEach(v -> md.append("- ").append(v).append('\n'));
        }
        md.append("\n## Rounds\n\n");
        Object log = f.get("round_log");
        if (log instanceof List<?> rounds) {
            for (Object round : rounds) {
                if (round instanceof Map<?, ?> r) {
                    md.append("- ").append(r.get("round")).append(": ").append(r.get("actions")).append(", members ")
                            .append(r.get("members")).append(((Number) r.get("violations")).intValue() == 0 ? ""
                                    : ", " + r.get("violations") + " violations").append('\n');
                }
            }
        }
        Path file = dir.resolve(base + ".md");
        Files.writeString(file, md.toString());
        return file;
    }

    private static void row(StringBuilder md, String label, Object value) {
        md.append("| ").append(label).append(" | ").append(String.valueOf(value).replace("|", "\\|")).append(" |\n");
    }
}
