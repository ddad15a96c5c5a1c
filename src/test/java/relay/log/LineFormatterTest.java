package relay.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One line per event: the readable text of the seed, or one JSON object with ts, level, event and fields. */
class LineFormatterTest {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(LineFormatterTest.class.getName());
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void capture() {
        logger.addHandler(capture);
    }

    @AfterEach
    void release() {
        logger.removeHandler(capture);
    }

    private LogRecord logged(Runnable log) {
        log.run();
        return records.getLast();
    }

    @Test
    void shouldWriteTheReadableSentenceOnOneLine() {
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).info("webhook.delivered",
                "✅ Webhook sent immediately", "message_id", "msg_1"));
        record.setInstant(Instant.parse("2026-11-27T12:00:00Z"));

        String line = new LineFormatter(false).format(record);

        assertEquals("2026-11-27T12:00:00Z ✅ Webhook sent immediately" + System.lineSeparator(), line);
    }

    @Test
    void shouldWriteOneJsonObjectWithTheEventAndItsFields() throws Exception {
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).warn("webhook.retrying",
                "↻ Webhook attempt 1 failed", "message_id", "msg_1", "attempt", 1));
        record.setInstant(Instant.parse("2026-11-27T12:00:00Z"));

        String line = new LineFormatter(true).format(record);

        assertTrue(line.endsWith(System.lineSeparator()));
        assertFalse(line.strip().contains("\n"), "one line");
        JsonNode json = new ObjectMapper().readTree(line);
        assertEquals("2026-11-27T12:00:00Z", json.path("ts").asText());
        assertEquals("WARNING", json.path("level").asText());
        assertEquals("webhook.retrying", json.path("event").asText());
        assertEquals("msg_1", json.path("message_id").asText());
        assertEquals(1, json.path("attempt").asInt());
        assertEquals("↻ Webhook attempt 1 failed", json.path("message").asText());
    }

    @Test
    void shouldIndentAStackTraceUnderItsLineOnlyForErrors() {
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).error("http.error", "💥 failed",
                new IllegalStateException("boom")));

        String[] lines = new LineFormatter(false).format(record).split(System.lineSeparator());

        assertTrue(lines[0].contains("SEVERE 💥 failed (java.lang.IllegalStateException: boom)"), lines[0]);
        assertTrue(lines[1].startsWith("    \tat "), lines[1]);
        assertEquals(Level.SEVERE, record.getLevel());
    }
}
