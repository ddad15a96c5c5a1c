package relay.log;

import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
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
        Handler handler = new ConsoleHandler() {
            {
                setOutputStream(System.out);
            }
        };
        handler.setFormatter(new LineFormatter(json));
        handler.setLevel(Level.INFO);
        root.addHandler(handler);
        root.setLevel(Level.INFO);
        installed = true;
    }
}
