package org.rollcall.harness;

import static org.rollcall.harness.Format.map;
import static org.rollcall.harness.Format.medianRange;
import static org.rollcall.harness.Format.ms;
import static org.rollcall.harness.Format.number;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Rollcall beside its peers and the floor, per size: the report's "Peers" section and its chart
 * (join storms and lone joins, three bars per size).
 */
final class ReportPeers {
    private static final List<String> PEERS = List.of("mosquitto", "socketio");

    private final Map<String, Object> json;
    private final List<Map<String, Object>> storms;

    ReportPeers(Map<String, Object> json, List<Map<String, Object>> storms) {
        this.json = json;
        this.storms = storms;
    }

    boolean present() {
        return json.get("peers") instanceof Map;
    }

    void section(StringBuilder md, String chart) {
        Map<String, Object> peers = map(json, "peers");
        md.append("\n## Peers, side by side\n\nThe same sizes on the same machine and placement, in this run. "
                + "Median, then min–max; the floor is `otc-floor`'s (above).\n\n");
        for (String peer : PEERS) {
            Map<String, Object> p = map(peers, peer);
            md.append("- ").append(p.get("name")).append(": ").append(p.get("setup"))
                    .append(p.containsKey("failed") ? " **Failed:** " + p.get("failed") : "").append('\n');
        }
        md.append("\n| figure | Rollcall | Mosquitto | Socket.IO | floor |\n|---|---|---|---|---|\n");
        TreeSet<Integer> sizes = new TreeSet<>();
        storms.forEach(s -> sizes.add(((Number) s.get("members")).intValue()));
        PEERS.forEach(peer -> map(map(peers, peer), "storm").keySet().forEach(n -> sizes.add(Integer.parseInt(n))));
        for (int n : sizes) {
            md.append("| join storm of ").append(n).append(", time to full rosters | ").append(ourStorm(n));
            for (String peer : PEERS) {
                md.append(" | ").append(runs(map(map(map(peers, peer), "storm"), Integer.toString(n))));
            }
            md.append(" | ").append(runs(map(floorStorm(n), "batched_ms"))).append(" batched |\n");
        }
        Map<String, Object> lone = map(json, "lone_event_latency");
        TreeSet<Integer> loneSizes = new TreeSet<>();
        if (!lone.isEmpty()) {
            loneSizes.add(((Number) lone.get("members")).intValue());
        }
        PEERS.forEach(peer -> map(map(peers, peer), "lone").keySet().forEach(n -> loneSizes.add(Integer.parseInt(n))));
        for (int m : loneSizes) {
            boolean ours = !lone.isEmpty() && ((Number) lone.get("members")).intValue() == m;
            md.append("| lone join, ").append(m).append(" members: joiner's connect call to the last member's "
                    + "event, p50 / p95 | ").append(ours ? p50p95(map(lone, "from_connect_call_ms")) : "not measured");
            for (String peer : PEERS) {
                md.append(" | ").append(loneFigure(peers, peer, m, "join_ms"));
            }
            md.append(" | ").append(fanout(m)).append(" fan-out p50 |\n");
            md.append("| clean leave, ").append(m).append(" members, p50 / p95 | ")
                    .append(ours ? p50p95(map(lone, "graceful_leave_ms")) : "not measured");
            for (String peer : PEERS) {
                md.append(" | ").append(loneFigure(peers, peer, m, "leave_ms"));
            }
            md.append(" | |\n");
        }
        Map<String, Object> departure = map(json, "departure");
        for (String[] kind : new String[][] {{"killed", "kill -9"}, {"vanished", "SIGSTOP"}}) {
            md.append("| departure by ").append(kind[1]).append(", seen by all observers | ")
                    .append(runs(map(map(departure, kind[0]), "runs_ms")));
            for (String peer : PEERS) {
                md.append(" | ").append(runs(map(map(peers, peer), kind[0])));
            }
            md.append(" | |\n");
        }
        md.append("\nRollcall's departures are at its defaults (grace 500 ms after a closed socket; heartbeat "
                + "silence 2.5 s plus grace 1.5 s); Mosquitto finds a stopped client after 1.5 keepalives, "
                + "Socket.IO after pingInterval plus pingTimeout. Peer lone joins and leaves come from one run of "
                + "consecutive probes; their storms from fewer runs than ours when the bench says so.\n");
        md.append("\n![Rollcall, Mosquitto and Socket.IO side by side](").append(chart).append(")\n");
    }

    void chart(Path file) throws IOException {
        Map<String, Object> peers = map(json, "peers");
        DefaultCategoryDataset stormData = new DefaultCategoryDataset();
        for (Map<String, Object> s : storms) {
            String n = String.valueOf(s.get("members"));
            add(stormData, number(map(s, "convergence_ms_runs"), "median") / 1000, "Rollcall", n);
            add(stormData, number(map(map(map(peers, "mosquitto"), "storm"), n), "median") / 1000, "Mosquitto", n);
            add(stormData, number(map(map(map(peers, "socketio"), "storm"), n), "median") / 1000, "Socket.IO", n);
        }
        DefaultCategoryDataset loneData = new DefaultCategoryDataset();
        Map<String, Object> lone = map(json, "lone_event_latency");
        String m = String.valueOf(lone.get("members"));
        add(loneData, number(map(lone, "from_connect_call_ms"), "p50"), "Rollcall", m);
        for (String peer : PEERS) {
            map(map(peers, peer), "lone").forEach((size, value) -> add(loneData,
                    number(map(cast(value), "join_ms"), "p50"), String.valueOf(map(peers, peer).get("name")), size));
        }
        JFreeChart left = ChartFactory.createBarChart("Join storm: time to full rosters (median)", "members",
                "seconds", stormData, PlotOrientation.VERTICAL, true, false, false);
        JFreeChart right = ChartFactory.createBarChart("Lone join: connect call to last member (p50)", "members",
                "ms", loneData, PlotOrientation.VERTICAL, true, false, false);
        BufferedImage image = new BufferedImage(1600, 600, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 1600, 600);
        left.draw(g, new Rectangle2D.Double(0, 0, 800, 600));
        right.draw(g, new Rectangle2D.Double(800, 0, 800, 600));
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    private static void add(DefaultCategoryDataset data, double value, String series, String size) {
        if (!Double.isNaN(value)) {
            data.addValue(value, series, size);
        }
    }

    private String ourStorm(int n) {
        for (Map<String, Object> s : storms) {
            if (((Number) s.get("members")).intValue() == n) {
                return s.containsKey("failed") ? "did not converge" : runs(map(s, "convergence_ms_runs"));
            }
        }
        return "not measured";
    }

    private Map<String, Object> floorStorm(int n) {
        return map(map(map(json, "floor"), "storm"), Integer.toString(n));
    }

    private String fanout(int n) {
        Map<String, Object> f = map(map(map(json, "floor"), "fanout"), Integer.toString(n));
        return f.isEmpty() ? "" : ms(number(map(f, "p50_ms"), "median"));
    }

    /** "median (min–max)", "failed: why", or "not measured". */
    private static String runs(Map<String, Object> runs) {
        if (runs.containsKey("failed")) {
            return "failed: " + runs.get("failed");
        }
        return runs.containsKey("median") ? medianRange(runs) : "not measured";
    }

    private static String loneFigure(Map<String, Object> peers, String peer, int members, String figure) {
        Map<String, Object> lone = map(map(map(peers, peer), "lone"), Integer.toString(members));
        return lone.containsKey("failed") ? "failed: " + lone.get("failed") : p50p95(map(lone, figure));
    }

    private static String p50p95(Map<String, Object> stats) {
        if (stats.isEmpty()) {
            return "not measured";
        }
        return String.format(Locale.ROOT, "%s / %s (n %s)", ms(number(stats, "p50")), ms(number(stats, "p95")),
                stats.get("n"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object value) {
        return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
