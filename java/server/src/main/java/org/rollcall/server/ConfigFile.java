package org.rollcall.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;

/**
 * The optional {@code --config} file: the same settings as the flags of {@code rollcall serve},
 * named like them without the dashes ({@code heartbeat-timeout-ms=2500}). A {@code .json} file
 * holds one object; anything else is read as Java properties. Several apps are a JSON array or a
 * comma-separated list. Flags on the command line win over the file.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {
    private final Map<String, String> values;

    private ConfigFile(Map<String, String> values) {
        this.values = values;
    }

    static ConfigFile read(Path file) throws IOException {
        return new ConfigFile(file.toString().endsWith(".json") ? readJson(file) : readProperties(file));
    }

    /** The value of {@code --config FILE} or {@code --config=FILE} in the arguments, or null. */
    static Path findIn(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        return null;
    }

    @Override
    public String defaultValue(CommandLine.Model.ArgSpec argument) {
        if (!(argument instanceof CommandLine.Model.OptionSpec option)) {
            return null;
        }
        return values.get(option.longestName().replaceFirst("^--", ""));
    }

    private static Map<String, String> readProperties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        Map<String, String> values = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name).trim()));
        return values;
    }

    private static Map<String, String> readJson(Path file) throws IOException {
        JsonNode root = Json.MAPPER.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IOException(file + " must hold one JSON object");
        }
        Map<String, String> values = new LinkedHashMap<>();
        root.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value.isArray()) {
                List<String> items = new ArrayList<>();
                value.forEach(item -> items.add(item.asText()));
                values.put(field.getKey(), String.join(",", items));
            } else {
                values.put(field.getKey(), value.asText());
            }
        });
        return values;
    }
}
