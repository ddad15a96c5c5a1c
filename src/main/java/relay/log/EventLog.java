package relay.log;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event through {@code java.util.logging}: a readable sentence for the text format and an event name
 * with fields for the JSON format. Callers never pass secrets here; URLs are masked before they arrive.
 */
public final class EventLog {
    private final Logger logger;

    private EventLog(Logger logger) {
        this.logger = logger;
    }

    public static EventLog of(Class<?> owner) {
        return new EventLog(Logger.getLogger(owner.getName()));
    }

    /** Logs {@code text} for people and {@code event} plus {@code fields} (name, value, name, value…) for machines. */
    public void info(String event, String text, Object... fields) {
        log(Level.INFO, event, text, null, fields);
    }

    public void warn(String event, String text, Object... fields) {
        log(Level.WARNING, event, text, null, fields);
    }

    public void error(String event, String text, Throwable cause, Object... fields) {
        log(Level.SEVERE, event, text, cause, fields);
    }

    private void log(Level level, String event, String text, Throwable cause, Object... fields) {
        if (!logger.isLoggable(level)) {
            return;
        }
        LogRecord record = new LogRecord(level, text);
        record.setLoggerName(logger.getName());
        record.setParameters(new Object[] {new Fields(event, pairs(fields))});
        record.setThrown(cause);
        logger.log(record);
    }

    private static Map<String, Object> pairs(Object... fields) {
        if (fields.length % 2 != 0) {
            throw new IllegalArgumentException("fields come in name/value pairs");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            map.put(String.valueOf(fields[i]), fields[i + 1]);
        }
        return map;
    }

    /** The structured part of a record, read back by {@link LineFormatter}. */
    record Fields(String event, Map<String, Object> values) {
    }
}
