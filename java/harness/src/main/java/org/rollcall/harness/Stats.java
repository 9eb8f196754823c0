package org.rollcall.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Exact order statistics of a small sample (nearest rank). */
record Stats(List<Double> sorted) {
    static Stats of(List<Double> samples) {
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        return new Stats(List.copyOf(sorted));
    }

    double percentile(double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double mean() {
        return sorted.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("n", sorted.size());
        json.put("min", percentile(0));
        json.put("p50", percentile(50));
        json.put("p90", percentile(90));
        json.put("p99", percentile(99));
        json.put("max", sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1));
        json.put("mean", mean());
        return json;
    }
}
