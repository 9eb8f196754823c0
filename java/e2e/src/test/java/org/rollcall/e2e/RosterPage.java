package org.rollcall.e2e;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The roster page seen through its stable ids and data attributes. */
final class RosterPage {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final WebDriver driver;

    RosterPage(WebDriver driver) {
        this.driver = driver;
    }

    String state() {
        return driver.findElement(By.id("state")).getAttribute("data-state");
    }

    /** Waits until the page shows it is connected and returns its own connection ID. */
    String awaitConnected() {
        waitUntil("connected", () -> "connected".equals(state()));
        return ownId();
    }

    /** The page's own connection ID, or null while it has none. */
    String ownId() {
        return (String) script("return document.querySelector('#roster li[data-self]')?.dataset.connectionId ?? null;");
    }

    /** Waits for a member with this connection data and returns its connection ID. */
    String awaitMember(String data) {
        String find = "return [...document.querySelectorAll('#roster li')]"
                + ".find(li => li.dataset.connectionData === arguments[0])?.dataset.connectionId ?? null;";
        waitUntil("member " + data, () -> script(find, data) != null);
        return (String) script(find, data);
    }

    void awaitDisconnected() {
        waitUntil("disconnected", () -> "disconnected".equals(state()));
    }

    int count() {
        return Integer.parseInt(driver.findElement(By.id("count")).getText().trim());
    }

    void awaitCount(int expected) {
        waitUntil("count " + expected, () -> count() == expected && rosterIds().size() == expected);
    }

    @SuppressWarnings("unchecked")
    List<String> rosterIds() {
        return (List<String>) script(
                "return [...document.querySelectorAll('#roster li[data-connection-id]')].map(li => li.dataset.connectionId);");
    }

    /** Log entries of one kind ("created", "destroyed", "disconnected", ...) about one connection. */
    List<WebElement> logEntries(String kind, String connectionId) {
        return driver.findElements(By.cssSelector(
                "#log li[data-event='" + kind + "'][data-connection-id='" + connectionId + "']"));
    }

    /**
     * The log's joins and leaves, in order, as {@code created <id>} and
     * {@code destroyed <id> <reason>}, read in one go.
     */
    @SuppressWarnings("unchecked")
    List<String> connectionEvents() {
        return (List<String>) script(
                "return [...document.querySelectorAll('#log li[data-event=created], #log li[data-event=destroyed]')]"
                        + ".map(li => [li.dataset.event, li.dataset.connectionId, li.dataset.reason]"
                        + ".filter(field => field !== undefined).join(' '));");
    }

    List<WebElement> logEntries(String kind) {
        return driver.findElements(By.cssSelector("#log li[data-event='" + kind + "']"));
    }

    /** Waits for a log entry and returns it; it must be the only one of its kind for that connection. */
    WebElement awaitLogEntry(String kind, String connectionId) {
        waitUntil(kind + " of " + connectionId, () -> !logEntries(kind, connectionId).isEmpty());
        return logEntries(kind, connectionId).get(0);
    }

    byte[] screenshot() {
        return ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
    }

    void leave() {
        driver.findElement(By.id("leave")).click();
    }

    /** Waits for the error box and returns {code, text}. */
    String[] awaitError() {
        WebElement error = driver.findElement(By.id("error"));
        waitUntil("an error", error::isDisplayed);
        return new String[] {error.getAttribute("data-code"), error.getText()};
    }

    /** Waits until the roster holds exactly these connections, in any order. */
    void awaitRoster(Set<String> ids) {
        waitUntil("roster " + ids, () -> rosterIds().size() == ids.size() && ids.containsAll(rosterIds()));
    }

    void waitUntil(String what, BooleanSupplier condition) {
        new WebDriverWait(driver, TIMEOUT, Duration.ofMillis(50))
                .ignoring(StaleElementReferenceException.class) // a poll that raced the page; the next one reads anew
                .withMessage(() -> "page never showed " + what + "; state=" + state() + ", log:\n" + logText())
                .until(d -> condition.getAsBoolean());
    }

    /**
     * Runs JavaScript in the page: reading the DOM in one call cannot trip over an element the
     * page replaces between two WebDriver calls.
     */
    private Object script(String javaScript, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(javaScript, arguments);
    }

    WebDriver driver() {
        return driver;
    }

    /** The error box's text while one is shown, else null. */
    String errorShown() {
        return (String) script("const e = document.getElementById('error'); return e && !e.hidden ? e.textContent : null;");
    }

    String logText() {
        return driver.findElements(By.cssSelector("#log li")).stream()
                .map(WebElement::getText)
                .collect(Collectors.joining("\n"));
    }
}
