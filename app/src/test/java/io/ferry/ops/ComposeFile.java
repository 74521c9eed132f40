package io.ferry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.Yaml;

/**
 * {@code docker/compose.yaml} and {@code docker/Dockerfile} read as Docker reads them, for the tests that check
 * them without a Docker engine: services (YAML anchors and merge keys resolved), their environment with
 * {@code ${VAR:-default}} and {@code ${VAR:?message}} substituted from given variables, and a Dockerfile stage's
 * {@code ENV} and {@code ENTRYPOINT}.
 */
public final class ComposeFile {

    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    public static final Path DOCKER = ROOT.resolve("docker");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Z_]+)(?::([-?])([^}]*))?}");

    private final Map<String, Object> compose;
    private final String dockerfile;

    public ComposeFile() {
        try {
            this.compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
            this.dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Map<String, Object> root() {
        return compose;
    }

    public Map<String, Object> services() {
        return map(compose.get("services"));
    }

    public Map<String, Object> service(String name) {
        return map(services().get(name));
    }

    /** The service's environment as compose writes it (variables not substituted). */
    public Map<String, String> environment(String service) {
        Map<String, String> environment = new LinkedHashMap<>();
        map(service(service).get("environment")).forEach((k, v) -> environment.put(k, String.valueOf(v)));
        return environment;
    }

    /** The service's environment with compose's variables taken from {@code variables} (as docker/.env gives them). */
    public Map<String, String> environment(String service, Map<String, String> variables) {
        Map<String, String> environment = new LinkedHashMap<>();
        environment(service).forEach((k, v) -> environment.put(k, substitute(v, variables)));
        return environment;
    }

    static String substitute(String value, Map<String, String> variables) {
        Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String given = variables.get(m.group(1));
            String replacement;
            if (given != null && !given.isEmpty()) {
                replacement = given;
            } else if ("-".equals(m.group(2))) {
                replacement = m.group(3);
            } else if ("?".equals(m.group(2))) {
                throw new IllegalArgumentException(m.group(1) + ": " + m.group(3));
            } else {
                replacement = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        return m.appendTail(out).toString();
    }

    public String dockerfile() {
        return dockerfile;
    }

    /** A stage's instructions, up to the next {@code FROM}. */
    public String stage(String name) {
        int start = dockerfile.indexOf(" AS " + name + "\n");
        assertThat(start).as("stage " + name).isPositive();
        int end = dockerfile.indexOf("\nFROM ", start);
        return dockerfile.substring(start, end < 0 ? dockerfile.length() : end);
    }

    /** The {@code ENV} a stage's container starts with: its own and the runtime stage's it builds on. */
    public Map<String, String> imageEnvironment(String stage) {
        Map<String, String> environment = new LinkedHashMap<>();
        for (String part : List.of(stage("runtime"), stage(stage))) {
            Matcher env = Pattern.compile("(?m)^(?:ENV |\\s+)([A-Z_]+)=(\"[^\"]*\"|\\S+)").matcher(part);
            while (env.find()) {
                String value = env.group(2);
                environment.put(env.group(1), value.startsWith("\"") ? value.substring(1, value.length() - 1) : value);
            }
        }
        return environment;
    }

    /** A stage's {@code ENTRYPOINT}, exec form. */
    public List<String> entrypoint(String stage) {
        Matcher m = Pattern.compile("(?m)^ENTRYPOINT \\[(.*)]$").matcher(stage(stage));
        assertThat(m.find()).as("ENTRYPOINT of " + stage).isTrue();
        List<String> command = new ArrayList<>();
        Matcher word = Pattern.compile("\"([^\"]*)\"").matcher(m.group(1));
        while (word.find()) {
            command.add(word.group(1));
        }
        return command;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object value) {
        assertThat(value).isInstanceOf(Map.class);
        return (Map<String, Object>) value;
    }

    public static List<Object> list(Object value) {
        assertThat(value).isInstanceOf(List.class);
        return new ArrayList<>((List<?>) value);
    }
}
