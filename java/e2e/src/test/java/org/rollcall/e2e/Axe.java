package org.rollcall.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;

/** axe-core (from js/node_modules, installed by npm) run in a page: its WCAG A/AA violations. */
final class Axe {
    private Axe() {
    }

    static Path script() {
        Path path = Path.of(System.getProperty("rollcall.axe", "../../js/node_modules/axe-core/axe.min.js"));
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException(path + " is missing: run npm ci in js/");
        }
        return path;
    }

    /** Each violation as "rule-id (impact): how many nodes". */
    @SuppressWarnings("unchecked")
    static List<String> violations(WebDriver driver) throws IOException {
        JavascriptExecutor js = (JavascriptExecutor) driver;
        js.executeScript(Files.readString(script()));
        List<Map<String, Object>> found = (List<Map<String, Object>>) js.executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                        + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
                        + ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))),"
                        + " e => done([{id: 'axe failed: ' + e, impact: 'n/a', nodes: 0}]));");
        return found.stream().map(v -> v.get("id") + " (" + v.get("impact") + "): " + v.get("nodes") + " nodes").toList();
    }
}
