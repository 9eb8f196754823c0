package org.rollcall.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What a scenario found: its violations (none is a pass) and its figures. */
record ScenarioResult(String scenario, ScenarioOptions options, List<Violation> violations,
                      Map<String, Object> figures, long elapsedMs) {
    boolean passed() {
        return violations.isEmpty();
    }

    static Map<String, Object> newFigures() {
        return new LinkedHashMap<>();
    }

    /** For JSON output. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("scenario", scenario);
        json.put("passed", passed());
        json.put("elapsed_ms", elapsedMs);
        Map<String, Object> sizes = new LinkedHashMap<>();
        sizes.put("clients", options.clients());
        sizes.put("processes", options.processes());
        sizes.put("java_clients", options.javaClients());
        sizes.put("duration_s", options.duration().toSeconds());
        sizes.put("rate", options.rate());
        sizes.put("watchers", options.watchers());
        json.put("options", sizes);
        json.put("figures", figures);
        json.put("violations", violations.stream().map(v -> Map.of("where", v.where(), "kind", v.kind(),
                "detail", v.detail())).toList());
        return json;
    }
}
