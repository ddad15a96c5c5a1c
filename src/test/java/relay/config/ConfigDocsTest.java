package relay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's configuration table, {@code .env.example} and {@link Key} must say the same thing. */
class ConfigDocsTest {
    private static final Pattern EXAMPLE_LINE = Pattern.compile("^#?\\s*([A-Z][A-Z0-9_]*)=(.*)$");
    private static final Pattern README_ROW = Pattern.compile("^\\| `([A-Z][A-Z0-9_]*)` \\| (.*?) \\| (.*?) \\|$");

    /** Keys of .env.example: set ones with their value, commented-out ones ({@code # KEY=}) with null. */
    private static Map<String, String> exampleKeys() throws IOException {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of(".env.example"))) {
            Matcher m = EXAMPLE_LINE.matcher(line);
            if (m.matches()) {
                keys.put(m.group(1), line.startsWith("#") ? null : m.group(2));
            }
        }
        return keys;
    }

    private static Map<String, String> readmeDefaults() throws IOException {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            Matcher m = README_ROW.matcher(line);
            if (m.matches()) {
                String cell = m.group(2);
                rows.put(m.group(1), cell.equals("—") ? null : cell.replace("`", ""));
            }
        }
        return rows;
    }

    private static Map<String, String> keyDefaults() {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (Key key : Key.values()) {
            defaults.put(key.name(), key.defaultValue());
        }
        return defaults;
    }

    @Test
    void shouldDocumentEveryKeyWithItsDefaultInTheReadme() throws IOException {
        assertEquals(keyDefaults(), readmeDefaults());
    }

    @Test
    void shouldListEveryKeyWithItsDefaultInTheExample() throws IOException {
        Map<String, String> expected = keyDefaults();
        // The example points new installs at the built-in demo receiver instead of leaving the URL unset.
        expected.put("WEBHOOK_URL", "http://127.0.0.1:8080/demo/webhook");
        assertEquals(expected, exampleKeys());
    }

    @Test
    void shouldLoadTheExampleWithoutProblems() {
        ConfigLoader.Result result = ConfigLoader.load(Path.of(".env.example"), Map.of());
        assertEquals(ConfigLoader.Loaded.class, result.getClass(), result.toString());
    }
}
