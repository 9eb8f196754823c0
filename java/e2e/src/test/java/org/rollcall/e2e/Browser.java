package org.rollcall.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * One headless Debian Chromium, driven through Debian's chromedriver, with a fresh profile.
 * Both paths are given explicitly, so Selenium Manager never runs and nothing is downloaded.
 */
final class Browser implements AutoCloseable {
    static final int PHONE_WIDTH = 412;
    static final int PHONE_HEIGHT = 915;

    // Held strongly: java.util.logging forgets the level of a logger nobody references.
    private static final Logger SELENIUM_LOG = Logger.getLogger("org.openqa.selenium");

    private final ChromeDriver driver;
    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    static Browser start() {
        return start(new String[0]);
    }

    /** A browser with more command-line switches, e.g. feature flags. */
    static Browser start(String... extraArguments) {
        SELENIUM_LOG.setLevel(Level.SEVERE);
        Path chromium = existing("rollcall.chromium", "/usr/bin/chromium");
        Path chromedriver = existing("rollcall.chromedriver", "/usr/bin/chromedriver");
        Path profile = tempDir();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                "--window-size=" + PHONE_WIDTH + "," + PHONE_HEIGHT);
        options.addArguments(extraArguments);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
        try {
            return new Browser(new ChromeDriver(service, options), profile);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    /** Opens a roster page in this browser's window. */
    RosterPage open(String url) {
        driver.get(url);
        return new RosterPage(driver);
    }

    ChromeDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static Path existing(String property, String fallback) {
        String value = System.getProperty(property, "");
        Path path = Path.of(value.isBlank() ? fallback : value);
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException(path + " is missing: install Debian's chromium and chromium-driver"
                    + " (scripts/deps) or set -D" + property);
        }
        return path;
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("rollcall-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temp profile is harmless.
        }
    }
}
