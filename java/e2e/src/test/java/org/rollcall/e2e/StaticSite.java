package org.rollcall.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A folder served over HTTP on its own port: a web app on another origin than the Rollcall server,
 * as an app that uses the client from npm is.
 */
final class StaticSite implements AutoCloseable {
    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8", "map", "application/json");

    private final HttpServer http;
    private final Path root;

    private StaticSite(HttpServer http, Path root) {
        this.http = http;
        this.root = root;
    }

    static StaticSite serve(Path root) throws IOException {
        if (!Files.isRegularFile(root.resolve("index.html"))) {
            throw new IllegalStateException(root + "/index.html is missing: build the example (npm run build in js/)");
        }
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        StaticSite site = new StaticSite(http, root.toRealPath());
        http.createContext("/", site::handle);
        http.start();
        return site;
    }

    /**
     * The origin, e.g. {@code http://localhost:41234}: "localhost", not the servers' 127.0.0.1,
     * so that the page is on another host as far as the Origin check is concerned.
     */
    String origin() {
        return "http://localhost:" + http.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            Path file = root.resolve(path.equals("/") ? "index.html" : path.substring(1)).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            String name = file.getFileName().toString();
            String type = TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
            byte[] body = Files.readAllBytes(file);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
