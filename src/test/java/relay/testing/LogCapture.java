package relay.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import relay.log.LineFormatter;

/** Collects what the service logs (everything under the {@code relay} logger) while it is open. */
public final class LogCapture implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Logger logger = Logger.getLogger("relay");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
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

    private LogCapture() {
        logger.addHandler(handler);
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    /** Each record as the JSON log format writes it: {@code event}, {@code level}, {@code message} and fields. */
    public List<JsonNode> lines() {
        LineFormatter json = new LineFormatter(true);
        return records.stream().map(record -> {
            try {
                return JSON.readTree(json.format(record));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).toList();
    }

    /** The lines whose event is {@code event}. */
    public List<JsonNode> events(String event) {
        return lines().stream().filter(line -> event.equals(line.path("event").asText())).toList();
    }

    /** Everything as the text log format prints it, stack traces included. */
    public String text() {
        LineFormatter text = new LineFormatter(false);
        return String.join("", records.stream().map(text::format).toList());
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
