package relay.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small {@code .env} reader: {@code KEY=VALUE} lines, blank lines, {@code #} comment lines, inline comments after
 * whitespace, single quotes (literal) and double quotes (with {@code \n}, {@code \t}, {@code \"} and {@code \\}
 * escapes), and an optional {@code export } prefix. Malformed lines are reported with the file name and line
 * number rather than skipped, so a typo never silently changes the configuration. Messages never quote the line:
 * it may hold a secret.
 */
public final class DotEnv {
    private static final Pattern LINE = Pattern.compile("^\\s*(?:export\\s+)?([A-Za-z_][A-Za-z0-9_]*)\\s*=\\s*(.*?)\\s*$");

    /** The values read, in file order, with the line each came from, and one message per malformed line. */
    public record Parsed(Map<String, Entry> entries, List<String> errors) {
        public Parsed {
            entries = Map.copyOf(entries);
            errors = List.copyOf(errors);
        }
    }

    public record Entry(String value, int line) {
    }

    private DotEnv() {
    }

    public static Parsed parse(String content, String fileName) {
        Map<String, Entry> entries = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNumber = i + 1;
            String line = lines[i];
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                errors.add(fileName + ":" + lineNumber + ": expected KEY=VALUE (KEY of letters, digits and _)");
                continue;
            }
            try {
                entries.put(m.group(1), new Entry(value(m.group(2)), lineNumber));
            } catch (IllegalArgumentException e) {
                errors.add(fileName + ":" + lineNumber + ": " + e.getMessage() + " for " + m.group(1));
            }
        }
        return new Parsed(entries, errors);
    }

    private static String value(String raw) {
        if (raw.startsWith("\"")) {
            return doubleQuoted(raw);
        }
        if (raw.startsWith("'")) {
            return singleQuoted(raw);
        }
        return unquoted(raw);
    }

    private static String unquoted(String raw) {
        Matcher comment = Pattern.compile("\\s#").matcher(raw);
        String value = comment.find() ? raw.substring(0, comment.start()) : raw;
        return value.strip();
    }

    private static String singleQuoted(String raw) {
        int end = raw.indexOf('\'', 1);
        if (end < 0) {
            throw new IllegalArgumentException("unterminated single quote");
        }
        requireOnlyComment(raw.substring(end + 1));
        return raw.substring(1, end);
    }

    private static String doubleQuoted(String raw) {
        StringBuilder value = new StringBuilder();
        for (int i = 1; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '"') {
                requireOnlyComment(raw.substring(i + 1));
                return value.toString();
            }
            if (c == '\\' && i + 1 < raw.length()) {
                value.append(escaped(raw.charAt(++i)));
            } else {
                value.append(c);
            }
        }
        throw new IllegalArgumentException("unterminated double quote");
    }

    private static String escaped(char c) {
        return switch (c) {
            case 'n' -> "\n";
            case 't' -> "\t";
            case 'r' -> "\r";
            case '"' -> "\"";
            case '\\' -> "\\";
            default -> "\\" + c;
        };
    }

    private static void requireOnlyComment(String afterQuote) {
        String rest = afterQuote.strip();
        if (!rest.isEmpty() && !rest.startsWith("#")) {
            throw new IllegalArgumentException("unexpected text after the closing quote");
        }
    }
}
