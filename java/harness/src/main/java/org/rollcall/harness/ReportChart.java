package org.rollcall.harness;

import static org.rollcall.harness.Format.list;
import static org.rollcall.harness.Format.number;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's PNG: the lone-event latency distribution and the join storms' convergence. */
final class ReportChart {
    private ReportChart() {
    }


    static void write(Path file, List<Double> upper, List<Double> lower, List<Map<String, Object>> storms,
                      Object members) throws IOException {
        XYSeriesCollection latency = new XYSeriesCollection();
        latency.addSeries(cdf("from the server's join stamp (upper bound)", upper));
        latency.addSeries(cdf("from the first sign of the join (lower bound)", lower));
        JFreeChart left = ChartFactory.createXYLineChart("Lone-event latency"
                + (members == null ? "" : ", " + members + " members"),
                "ms", "percentile", latency, PlotOrientation.VERTICAL, true, false, false);

        XYSeriesCollection convergence = new XYSeriesCollection();
        for (Map<String, Object> storm : storms) {
            if (storm.containsKey("failed")) {
                continue;
            }
            XYSeries series = new XYSeries("N = " + storm.get("members"));
            for (Object point : list(storm, "timeline")) {
                @SuppressWarnings("unchecked")
                Map<String, Object> p = (Map<String, Object>) point;
                series.add(number(p, "ms"), 100 * number(p, "fraction"));
            }
            convergence.addSeries(series);
        }
        JFreeChart right = ChartFactory.createXYLineChart("Join storm convergence", "ms since release",
                "% of all roster entries held", convergence, PlotOrientation.VERTICAL, true, false, false);

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

    private static XYSeries cdf(String name, List<Double> samples) {
        XYSeries series = new XYSeries(name);
        List<Double> sorted = samples.stream().sorted().toList();
        for (int i = 0; i < sorted.size(); i++) {
            series.add(sorted.get(i), Double.valueOf(100.0 * (i + 1) / sorted.size()));
        }
        return series;
    }
}
