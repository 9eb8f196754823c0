package org.rollcall.harness;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.DoubleHistogram;

/**
 * A latency distribution in milliseconds, kept in an HdrHistogram (3 significant digits at any
 * count). A p99 is reported only with at least {@value #P99_MIN} samples: from 100 samples it is the
 * second largest, from 5 the largest, and a reader takes it for a tail it is not. With fewer, the
 * JSON has p95 and {@code "p99": "needs 1000 samples"}. A sample set with negative values (a signed
 * difference between two clocks) uses exact ranks instead, since a histogram holds no negatives.
 */
final class Stats {
    static final int P99_MIN = 1000;

    private final DoubleHistogram histogram;
    private final List<Double> sorted; // exact, for signed samples and for the charts

    private Stats(List<Double> samples) {
        sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        boolean signed = !sorted.isEmpty() && sorted.get(0) < 0;
        histogram = signed ? null : new DoubleHistogram(3);
        if (histogram != null) {
            sorted.forEach(histogram::recordValue);
        }
    }

    static Stats of(List<Double> samples) {
        return new Stats(samples);
    }

    int count() {
        return sorted.size();
    }

    boolean hasP99() {
        return count() >= P99_MIN;
    }

    /** The highest percentile this sample supports: 99 with enough samples, else 95. */
    double tailPercentile() {
        return hasP99() ? 99 : 95;
    }

    double percentile(double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        if (histogram != null) {
            return p <= 0 ? histogram.getMinValue() : histogram.getValueAtPercentile(p);
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double max() {
        return sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1);
    }

    double mean() {
        return sorted.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    List<Double> samples() {
        return List.copyOf(sorted);
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("n", count());
        json.put("min", sorted.isEmpty() ? Double.NaN : sorted.get(0));
        json.put("p50", percentile(50));
        json.put("p90", percentile(90));
        json.put("p95", percentile(95));
        if (hasP99()) {
            json.put("p99", percentile(99));
        } else {
            json.put("p99", "needs " + P99_MIN + " samples, has " + count());
        }
        json.put("max", max());
        json.put("mean", mean());
        json.put("histogram", histogram != null ? "HdrHistogram, 3 significant digits" : "exact ranks (signed)");
        return json;
    }

    /** Median and range of one figure over repeated runs: {@code {median, min, max, runs}}. */
    static Map<String, Object> runs(List<Double> perRun) {
        List<Double> values = new ArrayList<>(perRun);
        Collections.sort(values);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("median", values.isEmpty() ? Double.NaN : median(values));
        json.put("min", values.isEmpty() ? Double.NaN : values.get(0));
        json.put("max", values.isEmpty() ? Double.NaN : values.get(values.size() - 1));
        json.put("runs", perRun);
        return json;
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
