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

    /** What a hostile webhook answers to redraw an operator's terminal, reorder a line, or forge a second one. */
    private static final String HOSTILE = "HTTP 500: \u001b[2J\u001b]0;pwned\u0007 a\rb\nforged line"
            + " \u007f\u009b31m \u202eevil\u202c \u2066x\u2069 \u2028 \u200e \ud800 end";

    @Test
    void shouldEscapeControlAndBidiCharactersInTheTextFormat() {
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).warn("webhook.retrying", HOSTILE));
        record.setInstant(Instant.parse("2026-11-27T12:00:00Z"));

        String line = new LineFormatter(false).format(record);

        assertEquals("2026-11-27T12:00:00Z WARNING HTTP 500: \\u001b[2J\\u001b]0;pwned\\u0007 a\\rb\\nforged line"
                + " \\u007f\\u009b31m \\u202eevil\\u202c \\u2066x\\u2069 \\u2028 \\u200e \\ud800 end"
                + System.lineSeparator(), line);
    }

    @Test
    void shouldKeepEmojiJoinersAndOrdinaryTextAsTheyAre() {
        String text = "📎 Attachment 👨\u200d👩\u200d👧 Relatório — مرحبا";
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).info("attachment.stored", text));

        assertTrue(new LineFormatter(false).format(record).contains(" " + text + System.lineSeparator()));
    }

    @Test
    void shouldEscapeAThrowablesTextButKeepTheTracesOwnLayout() {
        IllegalStateException error = new IllegalStateException("bad\u001b[31m\nInjected: line",
                new java.io.IOException("cause\r\n\tat fake.Frame(Fake.java:1)"));
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).error("http.error", "💥 failed", error));

        List<String> lines = new LineFormatter(false).format(record).lines().toList();

        assertTrue(lines.getFirst().endsWith("SEVERE 💥 failed (java.lang.IllegalStateException: "
                + "bad\\u001b[31m\\nInjected: line)"), lines.getFirst());
        lines.stream().skip(1).forEach(l -> assertTrue(l.startsWith("    \tat ") || l.startsWith("    \t... ")
                || l.startsWith("    Caused by: "), "only the trace's own lines, indented: " + l));
        assertTrue(lines.contains("    Caused by: java.io.IOException: cause\\r\\n\\tat fake.Frame(Fake.java:1)"),
                String.join("\n", lines));
        assertFalse(String.join("", lines).chars().anyMatch(c -> c < 0x20 && c != '\t'), "no raw control character");
    }

    @Test
    void shouldWriteTheSameCharactersAsJsonEscapesAndReadBackTheOriginal() throws Exception {
        LogRecord record = logged(() -> EventLog.of(LineFormatterTest.class).warn("webhook.retrying", "x",
                "reason", HOSTILE.replace("\ud800", "")));
        record.setMessage(HOSTILE.replace("\ud800", "") + " 👨\u200d👩\u200d👧");

        String line = new LineFormatter(true).format(record);

        assertEquals(1, line.lines().count(), line);
        String raw = line.strip();
        assertTrue(raw.codePoints().noneMatch(LineFormatter::isUnsafe), "every unsafe character escaped: " + raw);
        String escapes = raw.toLowerCase(java.util.Locale.ROOT);
        assertTrue(escapes.contains("\\u001b[2j") && escapes.contains("\\u009b") && escapes.contains("\\u202e")
                && escapes.contains("\\u007f") && escapes.contains("\\u2028"), raw);
        assertTrue(raw.contains("👨\u200d👩\u200d👧"), "joiners and emoji kept: " + raw);
        JsonNode json = new ObjectMapper().readTree(line);
        assertEquals(record.getMessage(), json.path("message").asText());
        assertEquals(HOSTILE.replace("\ud800", ""), json.path("reason").asText());
    }
}
