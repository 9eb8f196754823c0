package org.rollcall.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The browser client's files, served from the classpath folder {@code web/}. */
final class StaticFiles {
    record File(byte[] content, String contentType) {
    }

    private static final Map<String, String> CONTENT_TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff2", "font/woff2"));

    private final ClassLoader loader;
    private final String folder;
    private final WebConfig web;

    StaticFiles(ClassLoader loader, String folder, WebConfig web) {
        this.loader = loader;
        this.folder = folder;
        this.web = web;
    }

    /** Who may load these files across origins (CORS). */
    WebConfig web() {
        return web;
    }

    /** The file for a decoded request path; empty if there is none or the path tries to leave the folder. */
    Optional<File> find(String path) {
        String name = path.equals("/") ? "index.html" : path.substring(1);
        if (!isPlainRelativeFileName(name)) {
            return Optional.empty();
        }
        URL url = loader.getResource(folder + name);
        if (url == null || isDirectory(url)) {
            return Optional.empty();
        }
        try (InputStream in = url.openStream()) {
            return Optional.of(new File(in.readAllBytes(), contentType(name)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Segments of plain names, none empty, {@code .} or {@code ..}, and a file extension at the end. */
    private static boolean isPlainRelativeFileName(String name) {
        if (name.isEmpty() || name.contains("\\") || name.indexOf('\0') >= 0) {
            return false;
        }
        for (String segment : name.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        String last = name.substring(name.lastIndexOf('/') + 1);
        return last.lastIndexOf('.') > 0;
    }

    private static boolean isDirectory(URL url) {
        if (!"file".equals(url.getProtocol())) {
            return url.getPath().endsWith("/");
        }
        try {
            return Files.isDirectory(Path.of(url.toURI()));
        } catch (URISyntaxException e) {
            return true;
        }
    }

    private static String contentType(String name) {
        String extension = name.substring(name.lastIndexOf('.') + 1);
        return CONTENT_TYPES.getOrDefault(extension, "application/octet-stream");
    }
}
