package relay.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Formats each record as one line: readable text, or one JSON object with {@code ts}, {@code level}, {@code event}.
 * Log lines carry text from outside (a webhook's response, a client's file name, an exception's message), so in
 * both formats every character a terminal or editor would act on — controls, bidi overrides, line separators — is
 * written as a backslash escape (ESC as backslash-u-001b, a line feed as backslash-n), and only the formatter's own
 * line breaks end a line.
 */
public final class LineFormatter extends Formatter {
    private static final ObjectWriter JSON = new ObjectMapper().writer().with(new JsonEscapes());
    private static final String INDENT = "    ";
    private final boolean json;

    public LineFormatter(boolean json) {
        this.json = json;
    }

    @Override
    public String format(LogRecord record) {
        return json ? jsonLine(record) : textLine(record);
    }

    private String textLine(LogRecord record) {
        String level = record.getLevel() == Level.INFO ? "" : record.getLevel().getName() + " ";
        String thrown = record.getThrown() == null ? "" : " (" + escape(String.valueOf(record.getThrown())) + ")";
        return Instant.ofEpochMilli(record.getMillis()) + " " + level + escape(record.getMessage()) + thrown
                + System.lineSeparator() + stackTraceOf(record);
    }

    private String jsonLine(LogRecord record) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", Instant.ofEpochMilli(record.getMillis()).toString());
        line.put("level", record.getLevel().getName());
        EventLog.Fields fields = fieldsOf(record);
        line.put("event", fields == null ? record.getLoggerName() : fields.event());
        line.put("message", record.getMessage());
        if (fields != null) {
            fields.values().forEach((k, v) -> line.putIfAbsent(k, v == null ? null : v instanceof Number
                    || v instanceof Boolean ? v : String.valueOf(v)));
        }
        if (record.getThrown() != null) {
            line.put("error", record.getThrown().toString());
        }
        try {
            return JSON.writeValueAsString(line) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            return "{\"level\":\"SEVERE\",\"event\":\"log.unformattable\"}" + System.lineSeparator();
        }
    }

    private static EventLog.Fields fieldsOf(LogRecord record) {
        Object[] params = record.getParameters();
        return params != null && params.length == 1 && params[0] instanceof EventLog.Fields f ? f : null;
    }

    /**
     * Stack traces only for unexpected errors (SEVERE), indented under their line so grep stays one line per event.
     * The JDK prints a trace one {@code println} per line; taking each of those whole (rather than splitting the
     * printed text at line breaks) keeps a line break inside an exception's message escaped, not obeyed.
     */
    private static String stackTraceOf(LogRecord record) {
        if (record.getThrown() == null || record.getLevel() != Level.SEVERE) {
            return "";
        }
        StringBuilder trace = new StringBuilder();
        record.getThrown().printStackTrace(new PrintWriter(Writer.nullWriter()) {
            private boolean headline = true;

            @Override
            public void println(Object line) {
                println(String.valueOf(line));
            }

            @Override
            public void println(String line) {
                if (headline) {
                    headline = false; // the throwable itself, already written on the record's own line
                    return;
                }
                trace.append(INDENT).append(escapeAfterIndent(line)).append(System.lineSeparator());
            }
        });
        return trace.toString();
    }

    /** The JDK indents nested traces ("Caused by", suppressed, frames) with leading tabs: those stay. */
    private static String escapeAfterIndent(String line) {
        int indent = 0;
        while (indent < line.length() && line.charAt(indent) == '\t') {
            indent++;
        }
        return line.substring(0, indent) + escape(line.substring(indent));
    }

    /** {@code text} with every {@link #isUnsafe unsafe} character written as a Java-style escape. */
    static String escape(String text) {
        if (text == null || text.codePoints().noneMatch(LineFormatter::isUnsafe)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (isUnsafe(c)) {
                out.append(escapeOf(c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    private static String escapeOf(int c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> String.format("\\u%04x", c);
        };
    }

    /**
     * C0 and C1 controls and DEL (terminal escape sequences, carriage returns that overwrite a line), line and
     * paragraph separators (line breaks to some viewers), bidi embeddings, overrides and isolates and the implicit
     * marks (text that reads differently from how it is stored) and, as a code point can only be one when it is
     * unpaired, surrogates (not encodable at all). Joiners stay: emoji sequences are built with them.
     */
    static boolean isUnsafe(int c) {
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.SURROGATE -> true;
            default -> c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E)
                    || (c >= 0x2066 && c <= 0x2069);
        };
    }

    /** Jackson escapes C0 controls already; this adds DEL, C1 and the rest of {@link #isUnsafe}. */
    private static final class JsonEscapes extends CharacterEscapes {
        private final int[] ascii = standardAsciiEscapesForJSON();

        JsonEscapes() {
            ascii[0x7F] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        /** Called per UTF-16 unit, so a surrogate here may well be half of a pair: those are left alone. */
        @Override
        public SerializableString getEscapeSequence(int c) {
            return !Character.isSurrogate((char) c) && isUnsafe(c)
                    ? new SerializedString(String.format("\\u%04X", c)) : null; // upper case, as Jackson's own
        }
    }
}
