package org.rollcall.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rollcall.token.Role;
import org.rollcall.token.TokenClaims;
import org.rollcall.token.TokenVerifier;
import picocli.CommandLine;

class MainTest {
    @TempDir
    Path dir;

    private static String runToken(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = commandLine.execute(args);
        assertEquals(0, exit, err.toString());
        return out.toString().trim();
    }

    @Test
    void tokenCommandMintsAVerifiableToken() throws Exception {
        String token = runToken("token", "--api-key", "app1", "--secret", "s3", "--session", "room-1",
                "--data", "name=ann", "--role", "moderator", "--ttl", "2h");
        TokenClaims claims = new TokenVerifier("app1", "s3").verify(token, "room-1");
        assertEquals("name=ann", claims.data());
        assertEquals(Role.MODERATOR, claims.role());
        assertTrue(claims.expiresAt().isAfter(Instant.now().plusSeconds(7100)));
        assertTrue(claims.expiresAt().isBefore(Instant.now().plusSeconds(7300)));
    }

    @Test
    void tokenCommandRefusesBadInput() {
        CommandLine commandLine = new CommandLine(new Main()).setErr(new PrintWriter(new StringWriter()));
        assertNotEquals(0, commandLine.execute("token", "--api-key", "app1", "--secret", "s", "--session", "bad id"));
        assertNotEquals(0, commandLine.execute("token", "--api-key", "app1", "--secret", "s", "--session", "r", "--ttl", "5x"));
        assertNotEquals(0, commandLine.execute("token", "--api-key", "app1", "--secret", "s", "--session", "r", "--role", "king"));
    }

    private static Main.Serve parseServe(Path configFile, String... args) throws Exception {
        CommandLine commandLine = new CommandLine(new Main());
        CommandLine serve = commandLine.getSubcommands().get("serve");
        if (configFile != null) {
            serve.setDefaultValueProvider(ConfigFile.read(configFile));
        }
        commandLine.parseArgs(args);
        return serve.getCommand();
    }

    @Test
    void serveDefaultsAreTheDocumentedOnes() throws Exception {
        Main.Serve serve = parseServe(null, "serve");
        assertEquals("127.0.0.1", serve.host);
        assertEquals(8080, serve.port);
        assertEquals(ServerConfig.defaults(), serve.serverConfig());
        assertEquals(SecurityConfig.defaults(), serve.securityConfig());
    }

    @Test
    void appsComeFromFlagsAFileAndTheEnvironmentWithTheirAdminSecrets() throws Exception {
        Path apps = dir.resolve("apps.conf");
        Files.writeString(apps, "# key:secret[:admin-secret]\nfiled:file-secret:file-admin\n\nplain:plain-secret\n");
        Main.Serve serve = parseServe(null, "serve", "--app", "flagged:flag:secret", "--app-file", apps.toString(),
                "--admin-secret", "flagged:flag-admin,plain:plain-admin");
        serve.environment = java.util.Map.of("ROLLCALL_APPS", "env1:env-secret:env-admin,env2:env-secret-2");
        List<App> all = serve.apps();
        assertEquals(List.of(new App("flagged", "flag:secret", "flag-admin"), new App("filed", "file-secret", "file-admin"),
                new App("plain", "plain-secret", "plain-admin"), new App("env1", "env-secret", "env-admin"),
                new App("env2", "env-secret-2")), all);
    }

    @Test
    void securityFlagsReachTheSecurityConfig() throws Exception {
        Main.Serve serve = parseServe(null, "serve", "--max-token-ttl", "2h", "--token-clock-skew", "5s",
                "--admin-port", "9090", "--admin-host", "10.0.0.1", "--max-sockets-per-address", "7");
        SecurityConfig security = serve.securityConfig();
        assertEquals(java.time.Duration.ofHours(2), security.maxTokenTtl());
        assertEquals(java.time.Duration.ofSeconds(5), security.tokenClockSkew());
        assertEquals(9090, security.adminPort());
        assertEquals("10.0.0.1", security.adminHost());
        assertEquals(7, security.maxSocketsPerAddress());
    }

    @Test
    void propertiesConfigFileSetsValuesAndFlagsWin() throws Exception {
        Path file = dir.resolve("rollcall.properties");
        Files.writeString(file, "port=9001\nheartbeat-timeout-ms=4000\ngrace-silent-ms=700\napp=a:1,b:2\ndev-tokens=true\n");
        Main.Serve serve = parseServe(file, "serve", "--config", file.toString(), "--grace-silent-ms", "900");
        assertEquals(9001, serve.port);
        assertEquals(4000, serve.serverConfig().heartbeatTimeoutMs());
        assertEquals(900, serve.serverConfig().graceSilentMs());
        assertEquals(List.of("a:1", "b:2"), serve.apps);
        assertTrue(serve.serverConfig().devTokens());
    }

    @Test
    void jsonConfigFileWorksToo() throws Exception {
        Path file = dir.resolve("rollcall.json");
        Files.writeString(file, "{\"host\": \"0.0.0.0\", \"max-connections-per-session\": 5, \"app\": [\"k:s\", \"k2:s2\"]}");
        Main.Serve serve = parseServe(file, "serve", "--config", file.toString());
        assertEquals("0.0.0.0", serve.host);
        assertEquals(5, serve.serverConfig().maxConnectionsPerSession());
        assertEquals(List.of("k:s", "k2:s2"), serve.apps);
    }

    @Test
    void configFileIsFoundInTheArguments() {
        assertEquals(Path.of("a.json"), ConfigFile.findIn(new String[] {"serve", "--config", "a.json"}));
        assertEquals(Path.of("b.properties"), ConfigFile.findIn(new String[] {"serve", "--config=b.properties"}));
        assertEquals(null, ConfigFile.findIn(new String[] {"serve"}));
    }

    /** The real command in its own JVM: prints its dev app and address, writes the port file, serves. */
    @Test
    void serveRunsWritesThePortFileAndStopsOnSignal() throws Exception {
        Path portFile = dir.resolve("port");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--port", "0", "--port-file", portFile.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String devApp = out.readLine();
            String listening = out.readLine();
            assertTrue(devApp.startsWith("Development app: --api-key dev_"), devApp);
            assertTrue(devApp.contains(" --admin-secret dev_"), devApp);
            int port = Integer.parseInt(Files.readString(portFile).trim());
            assertEquals("Rollcall listening on http://127.0.0.1:" + port, listening);
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
        } finally {
            process.destroy();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "did not stop on SIGTERM");
        }
    }
}
