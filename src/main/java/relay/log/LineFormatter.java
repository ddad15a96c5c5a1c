package relay.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/** Formats each record as one line: readable text, or one JSON object with {@code ts}, {@code level}, {@code event}. */
public final class LineFormatter extends Formatter {
    private static final ObjectMapper JSON = new ObjectMapper();
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
        String thrown = record.getThrown() == null ? "" : " (" + record.getThrown() + ")";
        return Instant.ofEpochMilli(record.getMillis()) + " " + level + record.getMessage() + thrown
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

    /** Stack traces only for unexpected errors (SEVERE), indented under their line so grep stays one line per event. */
    private static String stackTraceOf(LogRecord record) {
        if (record.getThrown() == null || record.getLevel() != Level.SEVERE) {
            return "";
        }
        StringWriter out = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(out));
        return out.toString().lines().skip(1).map(l -> "    " + l + System.lineSeparator())
                .reduce("", String::concat);
    }
}
