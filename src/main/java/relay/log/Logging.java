package relay.log;

import java.io.UnsupportedEncodingException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;
import java.util.logging.Logger;

/** Points the JDK's root logger at standard output with our one-line format. */
public final class Logging {
    private Logging() {
    }

    /**
     * The JDK resets logging in its own shutdown hook, racing ours: lines written while draining would be lost.
     * Installing this manager before anything logs keeps the handlers until the process ends.
     */
    public static void keepHandlersUntilExit() {
        System.setProperty("java.util.logging.manager", KeepingLogManager.class.getName());
    }

    /** A log manager whose reset happens only before our handler is installed. */
    public static final class KeepingLogManager extends LogManager {
        @Override
        public void reset() {
            if (!installed) {
                super.reset();
            }
        }
    }

    private static volatile boolean installed;

    public static void install(boolean json) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Handler handler = new StreamHandler(System.out, new LineFormatter(json)) {
            @Override
            public synchronized void publish(LogRecord record) {
                super.publish(record);
                flush();
            }
        };
        try {
            // Explicit, because the platform's console encoding is ASCII under a service manager's bare environment.
            handler.setEncoding("UTF-8");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is part of every JDK", e);
        }
        handler.setLevel(Level.INFO);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        installed = true;
    }
}
