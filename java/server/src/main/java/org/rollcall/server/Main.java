package org.rollcall.server;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.rollcall.token.Role;
import org.rollcall.token.TokenGenerator;
import org.rollcall.token.TokenOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rollcall serve} runs the server; {@code rollcall token} mints a token. */
@Command(name = "rollcall", mixinStandardHelpOptions = true, version = "rollcall 0.1.0",
        description = "Self-hosted presence: who is in the session now.",
        subcommands = {Main.Serve.class, Main.Token.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler((e, command, parseResult) -> {
            command.getErr().println("rollcall: " + e.getMessage());
            return 1;
        });
        Path configFile = ConfigFile.findIn(args);
        if (configFile != null) {
            try {
                commandLine.getSubcommands().get("serve").setDefaultValueProvider(ConfigFile.read(configFile));
            } catch (IOException e) {
                System.err.println("rollcall: cannot read config file " + configFile + ": " + e.getMessage());
                return 2;
            }
        }
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "serve", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Runs the session server until it is stopped.")
    static final class Serve implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind.")
        String host;

        @Option(names = "--port", defaultValue = "8080", description = "Port to bind; 0 for any free port.")
        int port;

        @Option(names = "--port-file", description = "Write the bound port to this file once listening.")
        Path portFile;

        @Option(names = "--app", split = ",", paramLabel = "KEY:SECRET",
                description = "An app (repeatable). Default: one development app with a random key and secret, printed.")
        List<String> apps = new ArrayList<>();

        @Option(names = "--admin-secret", split = ",", paramLabel = "KEY:ADMIN_SECRET",
                description = "The admin API's secret of an app (repeatable). Without one an app has no admin API.")
        List<String> adminSecrets = new ArrayList<>();

        @Option(names = "--app-file", paramLabel = "FILE",
                description = "Apps, one KEY:SECRET[:ADMIN_SECRET] a line (# comments); keep it private (chmod 600).")
        Path appFile;

        @Option(names = "--admin-host", description = "Address of the admin listener. Default: --host.")
        String adminHost;

        @Option(names = "--admin-port", defaultValue = "-1",
                description = "Port of a separate admin listener (0: any free port); -1: the admin API is on --port.")
        int adminPort;

        @Option(names = "--admin-login-burst", defaultValue = "10",
                description = "Failed admin logins one address may make before it gets 429.")
        int adminLoginBurst;

        @Option(names = "--admin-login-rate", defaultValue = "0.1",
                description = "Failed admin logins per second allowed after the burst.")
        double adminLoginRate;

        @Option(names = "--max-sockets-per-address", defaultValue = "10000",
                description = "Open sockets per remote address; over it, 429 before the WebSocket upgrade.")
        int maxSocketsPerAddress;

        @Option(names = "--warn-interval-ms", defaultValue = "10000",
                description = "At most one warning per remote address per interval.")
        long warnIntervalMs;

        @Option(names = "--max-token-ttl", defaultValue = "30d",
                description = "Tokens living longer (exp - iat) are refused: seconds, or a number with s, m, h or d.")
        String maxTokenTtl;

        @Option(names = "--token-clock-skew", defaultValue = "60s",
                description = "How far in the future a token's iat may be.")
        String tokenClockSkew;

        /** Where ROLLCALL_APPS is read; a test replaces it. */
        java.util.Map<String, String> environment = System.getenv();

        @Option(names = "--config", paramLabel = "FILE",
                description = "Properties or .json file with these settings (names without dashes); flags win.")
        Path config;

        @Option(names = "--tls-cert", paramLabel = "PEM", description = "Certificate chain: serve wss and https.")
        Path tlsCert;

        @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key (PKCS#8) of --tls-cert.")
        Path tlsKey;

        @Option(names = "--heartbeat-interval-ms", defaultValue = "1000", description = "Server ping interval.")
        long heartbeatIntervalMs;

        @Option(names = "--heartbeat-timeout-ms", defaultValue = "2500",
                description = "Silence after which a client is lost.")
        long heartbeatTimeoutMs;

        @Option(names = "--grace-closed-ms", defaultValue = "500",
                description = "Grace to resume after the socket closed without a close frame.")
        long graceClosedMs;

        @Option(names = "--grace-silent-ms", defaultValue = "1500",
                description = "Grace to resume after heartbeat silence.")
        long graceSilentMs;

        @Option(names = "--handshake-timeout-ms", defaultValue = "5000",
                description = "Time for the first frame after the WebSocket handshake.")
        long handshakeTimeoutMs;

        @Option(names = "--http-idle-timeout-ms", defaultValue = "5000",
                description = "An HTTP socket idle this long is closed.")
        long httpIdleTimeoutMs;

        @Option(names = "--max-connections-per-session", defaultValue = "20000")
        int maxConnectionsPerSession;

        @Option(names = "--max-frame-bytes", defaultValue = "16384", description = "Largest client frame.")
        int maxFrameBytes;

        @Option(names = "--connect-rate", defaultValue = "500",
                description = "New WebSocket connections per second per remote address.")
        double connectRate;

        @Option(names = "--connect-burst", defaultValue = "2000")
        int connectBurst;

        @Option(names = "--message-rate", defaultValue = "50",
                description = "Client frames per second per connection (pongs do not count).")
        double messageRate;

        @Option(names = "--message-burst", defaultValue = "200")
        int messageBurst;

        @Option(names = "--max-backlog-bytes", defaultValue = "8388608",
                description = "Outbound backlog after which a client that does not read is dropped.")
        long maxBacklogBytes;

        @Option(names = "--drain-timeout-ms", defaultValue = "10000",
                description = "A socket with frames waiting that takes none for this long is dropped (1503).")
        long drainTimeoutMs;

        @Option(names = "--outbound-budget-bytes", defaultValue = "536870912",
                description = "All sockets' waiting outbound bytes together.")
        long outboundBudgetBytes;

        @Option(names = "--overload-lag-ms", defaultValue = "500",
                description = "Event-loop lag past which new connections are refused (1023).")
        long overloadLagMs;

        @Option(names = "--max-connections-per-token", defaultValue = "64")
        int maxConnectionsPerToken;

        @Option(names = "--log-events", defaultValue = "4096",
                description = "Events a session keeps at least, for resumes to replay.")
        int logEvents;

        @Option(names = "--transport", defaultValue = "AUTO",
                description = "Netty's I/O: AUTO (epoll, else NIO), EPOLL, IO_URING or NIO.")
        Transport transport;

        @Option(names = "--send-buffer-bytes", defaultValue = "0",
                description = "SO_SNDBUF of client sockets; 0 lets the kernel tune it.")
        int sendBufferBytes;

        @Option(names = "--allowed-origin", split = ",", paramLabel = "ORIGIN",
                description = "Browser origins (scheme://host[:port], or *) whose pages may open WebSockets, "
                        + "besides the server's own origin. Native clients send no Origin and are always allowed.")
        List<String> allowedOrigins = new ArrayList<>();

        @Option(names = "--cors-origin", split = ",", paramLabel = "ORIGIN",
                description = "Origins (or *) that may load /rollcall.js across origins (CORS). Default: none.")
        List<String> corsOrigins = new ArrayList<>();

        @Option(names = "--dev-tokens", defaultValue = "false",
                description = "Serve POST /v1/dev/token for the first app. For development only.")
        boolean devTokens;

        @Option(names = "--redis", paramLabel = "URI",
                description = "Share sessions with other nodes through Redis 7: redis://[user:password@]host:port[/db],"
                        + " rediss:// for TLS. Default: this node alone, in memory. See docs/scale-out.md.")
        String redis;

        @Option(names = "--node-id", description = "This node's name in Redis and in logs (with --redis). Default: node.")
        String nodeId;

        @Option(names = "--redis-lease-ms", defaultValue = "2000",
                description = "With --redis: a node silent this long is dead; its connections end the silent grace later.")
        long redisLeaseMs;

        @Override
        public Integer call() throws Exception {
            RollcallServer.Builder builder = RollcallServer.builder().host(host).port(port).config(serverConfig())
                    .transport(transport)
                    .web(new WebConfig(Set.copyOf(allowedOrigins), Set.copyOf(corsOrigins)))
                    .security(securityConfig());
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--tls-cert and --tls-key go together");
            }
            if (tlsCert != null) {
                builder.tls(tlsCert, tlsKey);
            }
            if (redis != null) {
                builder.redis(new RedisConfig(redis, nodeId, redisLeaseMs));
            }
            List<App> configured = apps();
            if (configured.isEmpty()) {
                App dev = App.random();
                builder.app(dev);
                System.out.println("Development app: --api-key " + dev.apiKey() + " --secret " + dev.secret()
                        + " --admin-secret " + dev.apiKey() + ":" + dev.adminSecret());
            } else {
                builder.apps(configured);
            }
            RollcallServer server = builder.build().start();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "rollcall-shutdown"));
            if (portFile != null) {
                writePortFile(portFile, server.port());
            }
            System.out.println("Rollcall listening on " + server.url());
            if (server.security().separateAdminListener()) {
                System.out.println("Admin API on " + server.adminUrl());
            }
            System.out.flush();
            stopped.await();
            return 0;
        }

        ServerConfig serverConfig() {
            return ServerConfig.builder()
                    .heartbeatIntervalMs(heartbeatIntervalMs).heartbeatTimeoutMs(heartbeatTimeoutMs)
                    .graceClosedMs(graceClosedMs).graceSilentMs(graceSilentMs)
                    .handshakeTimeoutMs(handshakeTimeoutMs).httpIdleTimeoutMs(httpIdleTimeoutMs)
                    .maxConnectionsPerSession(maxConnectionsPerSession).maxFrameBytes(maxFrameBytes)
                    .connectRate(connectRate).connectBurst(connectBurst)
                    .messageRate(messageRate).messageBurst(messageBurst)
                    .maxBacklogBytes(maxBacklogBytes).sendBufferBytes(sendBufferBytes)
                    .devTokens(devTokens)
                    .drainTimeoutMs(drainTimeoutMs).outboundBudgetBytes(outboundBudgetBytes)
                    .overloadLagMs(overloadLagMs).maxConnectionsPerToken(maxConnectionsPerToken).logEvents(logEvents)
                    .build();
        }

        /**
         * The apps of {@code --app}, {@code --app-file} and {@code ROLLCALL_APPS} (comma- or
         * newline-separated entries like the file's), with the admin secrets of {@code --admin-secret}.
         */
        List<App> apps() throws IOException {
            java.util.Map<String, App> byKey = new java.util.LinkedHashMap<>();
            List<App> all = new ArrayList<>();
            apps.forEach(app -> all.add(App.parse(app)));
            if (appFile != null) {
                for (String line : Files.readAllLines(appFile, StandardCharsets.UTF_8)) {
                    if (!line.isBlank() && !line.strip().startsWith("#")) {
                        all.add(App.parseEntry(line));
                    }
                }
            }
            String fromEnvironment = environment.get("ROLLCALL_APPS");
            if (fromEnvironment != null) {
                for (String entry : fromEnvironment.split("[,\\n]")) {
                    if (!entry.isBlank()) {
                        all.add(App.parseEntry(entry));
                    }
                }
            }
            for (App app : all) {
                if (byKey.put(app.apiKey(), app) != null) {
                    throw new IllegalArgumentException("app " + app.apiKey() + " is given twice");
                }
            }
            for (String entry : adminSecrets) {
                int colon = entry.indexOf(':');
                App app = colon < 0 ? null : byKey.get(entry.substring(0, colon));
                if (app == null) {
                    throw new IllegalArgumentException("--admin-secret must be KEY:ADMIN_SECRET of a configured app");
                }
                byKey.put(app.apiKey(), app.withAdminSecret(entry.substring(colon + 1)));
            }
            return new ArrayList<>(byKey.values());
        }

        SecurityConfig securityConfig() {
            return SecurityConfig.builder()
                    .maxTokenTtl(Token.duration(maxTokenTtl)).tokenClockSkew(Token.duration(tokenClockSkew))
                    .adminHost(adminHost).adminPort(adminPort)
                    .adminLoginBurst(adminLoginBurst).adminLoginRate(adminLoginRate)
                    .maxSocketsPerAddress(maxSocketsPerAddress).warnIntervalMs(warnIntervalMs)
                    .build();
        }

        /** Written whole, then renamed, so a reader never sees half a number. */
        private static void writePortFile(Path file, int port) throws IOException {
            Path absolute = file.toAbsolutePath();
            Path temporary = absolute.resolveSibling(absolute.getFileName() + ".tmp");
            Files.writeString(temporary, port + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Mints a token for one session and prints it.")
    static final class Token implements Callable<Integer> {
        @Option(names = "--api-key", required = true)
        String apiKey;

        @Option(names = "--secret", defaultValue = "${env:ROLLCALL_SECRET}",
                description = "The app's secret; default: environment variable ROLLCALL_SECRET.")
        String secret;

        @Option(names = "--session", required = true, description = "Session ID.")
        String sessionId;

        @Option(names = "--data", defaultValue = "", description = "Connection data, at most 1000 bytes.")
        String data;

        @Option(names = "--role", defaultValue = "publisher", description = "publisher, subscriber or moderator.")
        String role;

        @Option(names = "--ttl", defaultValue = "24h", description = "Lifetime: seconds, or a number with s, m, h or d.")
        String ttl;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (secret == null || secret.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give --secret or set ROLLCALL_SECRET");
            }
            try {
                TokenOptions options = TokenOptions.defaults().data(data).role(Role.fromWireName(role)).ttl(duration(ttl));
                PrintWriter out = spec.commandLine().getOut();
                out.println(new TokenGenerator(apiKey, secret).generate(sessionId, options));
                out.flush();
                return 0;
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }

        static Duration duration(String text) {
            String value = text.trim().toLowerCase(Locale.ROOT);
            char unit = value.isEmpty() ? ' ' : value.charAt(value.length() - 1);
            String number = Character.isDigit(unit) ? value : value.substring(0, value.length() - 1);
            long amount;
            try {
                amount = Long.parseLong(number);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ttl must be like 3600, 90s, 30m, 12h or 7d: " + text);
            }
            return switch (unit) {
                case 's' -> Duration.ofSeconds(amount);
                case 'm' -> Duration.ofMinutes(amount);
                case 'h' -> Duration.ofHours(amount);
                case 'd' -> Duration.ofDays(amount);
                default -> {
                    if (!Character.isDigit(unit)) {
                        throw new IllegalArgumentException("--ttl unit must be s, m, h or d: " + text);
                    }
                    yield Duration.ofSeconds(amount);
                }
            };
        }
    }
}
