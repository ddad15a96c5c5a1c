package relay;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import relay.config.Config;
import relay.config.ConfigLoader;
import relay.http.FatalErrors;
import relay.http.WebServer;
import relay.log.EventLog;
import relay.log.Logging;
import relay.webhook.WebhookSender;

/**
 * Reads the configuration, starts the {@link App}, and stops it cleanly on SIGTERM or Ctrl-C; or, given
 * {@code copy-to-postgres} first, copies DATA_DIR's store into DATABASE_URL's database and exits (see
 * {@link CopyToPostgres}).
 */
public final class Main {
    /** Exit code for a configuration or environment the service cannot start with. */
    static final int EXIT_BAD_SETUP = 2;

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        FatalErrors.haltOnVirtualMachineErrors();
        Logging.keepHandlersUntilExit();
        WebhookSender.prepareJdkClient();
        boolean copy = args.length > 0 && args[0].equals(CopyToPostgres.COMMAND);
        String[] options = copy ? Arrays.copyOfRange(args, 1, args.length) : args;
        Path envFile = Path.of(options.length > 1 && options[0].equals("--env") ? options[1] : ".env");
        Config config = switch (ConfigLoader.load(envFile, System.getenv())) {
            case ConfigLoader.Loaded loaded -> {
                Logging.install(loaded.config().logFormat() == Config.LogFormat.JSON);
                loaded.warnings().forEach(w -> EventLog.of(Main.class).warn("config.warning", "⚠️ " + w));
                yield loaded.config();
            }
            case ConfigLoader.Invalid invalid -> exit(invalid.problems().stream()
                    .map(p -> "config error: " + p).toArray(String[]::new));
        };
        if (copy) {
            System.exit(CopyToPostgres.run(config, InstantSource.system(), utf8(FileDescriptor.out),
                    utf8(FileDescriptor.err)));
        }
        WebServer.applyJvmWideLimits(config.limits());
        App app = startOrExit(config);
        // After start-up, so a start that fails still says one line per problem and nothing else.
        warnUnlessJvmStopsOnOutOfMemory();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.close();
            // A stop that was asked for (SIGTERM, Ctrl-C) and completed is a success: exit 0, not the JVM's 143.
            Runtime.getRuntime().halt(0);
        }, "shutdown"));
        new CountDownLatch(1).await();
    }

    /** Halting on out of memory is built in (see {@link FatalErrors}); the JVM's own flag also covers its threads. */
    private static void warnUnlessJvmStopsOnOutOfMemory() {
        if (!FatalErrors.jvmStopsOnOutOfMemory()) {
            EventLog.of(Main.class).warn("jvm.no_exit_on_oom", "⚠️ Started without -XX:+ExitOnOutOfMemoryError: "
                    + "out of memory, the service stops itself (exit " + FatalErrors.EXIT_STATUS + ") only where the "
                    + "error reaches it; start it as java -XX:+ExitOnOutOfMemoryError -jar chat-webhook.jar, under a "
                    + "service manager that restarts it (docs/chat-webhook-relay.service)");
        }
    }

    private static App startOrExit(Config config) {
        try {
            return App.start(config);
        } catch (BindException e) {
            return exit("start-up error: cannot listen on " + config.host() + ":" + config.port() + " ("
                    + e.getMessage() + "); is another instance running? Set PORT to a free port.");
        } catch (IOException | RuntimeException e) {
            return exit("start-up error: " + e.getMessage());
        }
    }

    private static PrintStream utf8(FileDescriptor stream) {
        return new PrintStream(new FileOutputStream(stream), true, StandardCharsets.UTF_8);
    }

    /** In UTF-8 whatever the platform's console encoding (ASCII under a bare service environment), as the log is. */
    private static <T> T exit(String... lines) {
        PrintStream err = utf8(FileDescriptor.err);
        for (String line : lines) {
            err.println(line);
        }
        System.exit(EXIT_BAD_SETUP);
        throw new AssertionError("unreachable");
    }
}
