package org.rollcall;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A webapp redeploy in one JVM (TwoClassLoadersIT): two class loaders, each with its own copy of
 * the binding's jar (arguments: the jars and the directory with {@link LoaderProbe}). The first
 * is used, then abandoned; the second must work, and libotc's process-wide log callback must go
 * to it, not to the first. Prints "ok" or what went wrong; its own class path is only this class.
 */
public final class TwoLoadersMain {
    private TwoLoadersMain() {
    }

    public static void main(String[] args) throws Exception {
        List<URL> urls = new ArrayList<>();
        for (String arg : args) {
            urls.add(Path.of(arg).toUri().toURL());
        }
        List<String> problems = new ArrayList<>();
        URLClassLoader first = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Function<String, Object> old = probe(first);
        expect(problems, "first loader, event", "received", old.apply("event"));

        URLClassLoader second = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
        Function<String, Object> redeployed = probe(second);
        expect(problems, "second loader, event", "received", redeployed.apply("event"));
        expect(problems, "first loader, event while both live", "received", old.apply("event"));

        expect(problems, "first loader, close", "closed", old.apply("close"));
        first.close(); // the old webapp is gone
        long oldLogs = (Long) old.apply("logs");
        long newLogs = (Long) redeployed.apply("logs");
        expect(problems, "second loader, refused connect", "error", redeployed.apply("error"));
        String logs = "log lines: first loader " + oldLogs + " -> " + old.apply("logs") + ", second " + newLogs
                + " -> " + redeployed.apply("logs");
        if ((Long) old.apply("logs") != oldLogs) {
            problems.add("libotc's log lines still reach the first loader's core (" + logs + ")");
        }
        if ((Long) redeployed.apply("logs") <= newLogs) {
            problems.add("libotc's log lines do not reach the second loader's core (" + logs + ")");
        }
        expect(problems, "second loader, event after the first is gone", "received", redeployed.apply("event"));
        redeployed.apply("close");
        System.out.println(problems.isEmpty() ? "ok (" + logs + ")" : "problems: " + problems);
        System.exit(problems.isEmpty() ? 0 : 1);
    }

    @SuppressWarnings("unchecked")
    private static Function<String, Object> probe(ClassLoader loader) throws Exception {
        Class<?> probe = loader.loadClass("org.rollcall.LoaderProbe");
        if (probe.getClassLoader() != loader) {
            throw new IllegalStateException("LoaderProbe came from " + probe.getClassLoader());
        }
        return (Function<String, Object>) probe.getConstructor().newInstance();
    }

    private static void expect(List<String> problems, String what, Object expected, Object actual) {
        if (!expected.equals(actual)) {
            problems.add(what + ": " + actual);
        }
    }
}
