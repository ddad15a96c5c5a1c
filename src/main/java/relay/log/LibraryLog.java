package relay.log;

import java.util.Objects;
import java.util.function.UnaryOperator;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * What libraries say through SLF4J (HikariCP, the PostgreSQL pool), written as our own log lines: warnings and errors
 * as {@code library.warning} / {@code library.error} events naming the library's logger, everything below dropped
 * (the pool's start and stop notes say nothing our own lines do not). Found by SLF4J through
 * {@code META-INF/services}, so that it neither prints "No SLF4J providers were found" nor needs a logging library.
 *
 * <p>A library's message may quote what it was configured with (a database URL): each line passes through the
 * {@linkplain #redactWith redaction} the service set before it starts the library, and a throwable is written as its
 * one-line description, redacted too, never as a stack trace that could carry it unredacted.
 */
public final class LibraryLog implements SLF4JServiceProvider {
    /** The SLF4J API version this provider is written against (2.0.x). */
    private static final String API_VERSION = "2.0.99";
    private static volatile UnaryOperator<String> redaction = UnaryOperator.identity();

    private final ILoggerFactory loggers = Forwarding::new;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    /** Applied to every line libraries log from now on: e.g. masking the database's URL and password. */
    public static void redactWith(UnaryOperator<String> redact) {
        redaction = Objects.requireNonNull(redact, "redact");
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return API_VERSION;
    }

    @Override
    public void initialize() {
        // nothing to set up: every logger forwards to the JDK's logging, configured by Logging
    }

    /** One library logger: warnings and errors forwarded, the rest not even formatted. */
    private static final class Forwarding extends LegacyAbstractLogger {
        private static final EventLog LOG = EventLog.of(LibraryLog.class);

        Forwarding(String name) {
            this.name = name;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return false;
        }

        @Override
        public boolean isInfoEnabled() {
            return false;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments,
                                                   Throwable thrown) {
            String message = MessageFormatter.basicArrayFormat(pattern, arguments)
                    + (thrown == null ? "" : " (" + thrown + ")");
            String text = redaction.apply(simpleName() + ": " + message);
            switch (level) {
                case ERROR -> LOG.error("library.error", "💥 " + text, null, "logger", name);
                case WARN -> LOG.warn("library.warning", "⚠️ " + text, "logger", name);
                case INFO, DEBUG, TRACE -> { }
            }
        }

        /** {@code HikariPool} rather than {@code com.zaxxer.hikari.pool.HikariPool}: the field keeps the whole. */
        private String simpleName() {
            return name.substring(name.lastIndexOf('.') + 1);
        }
    }
}
