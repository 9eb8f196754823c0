package org.rollcall.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Join-storm convergence over time: the roster entries all clients hold together, as a fraction
 * of N(N-1), and the clients connected, in 100 ms steps from the start. Built from the progress
 * lines of several otc-load processes, each sampled on its own clock tick.
 */
record Timeline(List<double[]> points) {
    private static final long STEP_NS = 100_000_000;

    /** @param samples per process: {t_ns, roster_sum, connected} in time order */
    static Timeline merge(List<List<long[]>> samples, long start, long end, double complete) {
        List<double[]> points = new ArrayList<>();
        for (long t = start; t < end; t += STEP_NS) {
            long roster = 0;
            long connected = 0;
            for (List<long[]> process : samples) {
                long[] last = lastAtOrBefore(process, t);
                if (last != null) {
                    roster += last[1];
                    connected += last[2];
                }
            }
            points.add(new double[] {(t - start) / 1e6, complete > 0 ? roster / complete : 0, connected});
        }
        return new Timeline(points);
    }

    private static long[] lastAtOrBefore(List<long[]> samples, long t) {
        long[] found = null;
        synchronized (samples) {
            for (long[] sample : samples) {
                if (sample[0] > t) {
                    break;
                }
                found = sample;
            }
        }
        return found;
    }

    /** When every client was connected, in ms from the start; -1 when never seen. */
    double allConnectedMs(int clients) {
        return points.stream().filter(p -> p[2] >= clients).mapToDouble(p -> p[0]).findFirst().orElse(-1);
    }

    List<Map<String, Double>> toJson() {
        return points.stream().map(p -> Map.of("ms", p[0], "fraction", p[1], "connected", p[2])).toList();
    }
}
