package relay;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import relay.config.Config;
import relay.config.DatabaseUrl;
import relay.log.LibraryLog;
import relay.store.StorageException;
import relay.store.StoreCopy;
import relay.store.postgres.PostgresImport;
import relay.store.postgres.PostgresStore;
import relay.store.sqlite.SqliteExport;
import relay.store.sqlite.SqliteStore;
import relay.webhook.AttachmentLinks;

/**
 * {@code java -jar chat-webhook.jar copy-to-postgres [--env FILE]}: moves an installation from SQLite to PostgreSQL.
 * Everything in {@code DATA_DIR} (chat.db, the attachments' files, the links' key) is copied into the empty database
 * {@code DATABASE_URL} names, in one transaction; {@code DATA_DIR} is only read. The service must be stopped: the copy
 * takes {@code DATA_DIR}'s lock as the service does, so it refuses to run beside it.
 */
final class CopyToPostgres {
    static final String COMMAND = "copy-to-postgres";
    static final int EXIT_COPIED = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_REFUSED = 2;

    private CopyToPostgres() {
    }

    /**
     * Copies, printing one line of counts to {@code out} when done, or one line saying why not to {@code err}.
     *
     * @return {@link #EXIT_COPIED}; {@link #EXIT_REFUSED} for a setup that cannot be copied (no DATABASE_URL, no
     *         chat.db, the service running, the database unusable or not empty); {@link #EXIT_FAILED} when the copy
     *         itself failed (nothing was written)
     */
    static int run(Config config, InstantSource clock, PrintStream out, PrintStream err) {
        if (config.databaseUrl().isEmpty()) {
            return refuse(err, "DATABASE_URL is not set: set it to the empty PostgreSQL database to copy into");
        }
        DatabaseUrl url = config.databaseUrl().get();
        LibraryLog.redactWith(url::maskIn);
        Path dataDir = config.dataDir();
        if (!Files.exists(dataDir.resolve("chat.db"))) {
            return refuse(err, "there is no chat.db in DATA_DIR " + dataDir.toAbsolutePath().normalize()
                    + " to copy from");
        }
        SqliteStore sqlite;
        try {
            sqlite = SqliteStore.open(dataDir, clock, config.limits().walMaxBytes());
        } catch (IOException | RuntimeException e) {
            return refuse(err, String.valueOf(e.getMessage()));
        }
        PostgresStore postgres;
        try {
            postgres = PostgresStore.open(url.jdbcUrl(), url.user(), url.password().reveal(), url.masked(), 2, clock);
        } catch (IOException | RuntimeException e) {
            sqlite.close();
            return refuse(err, url.maskIn(String.valueOf(e.getMessage())));
        }
        try (sqlite; postgres) {
            StoreCopy.Counts counts = new PostgresImport(postgres, clock).copyFrom(new SqliteExport(sqlite),
                    AttachmentLinks.storedKey(dataDir));
            out.println("Copied " + dataDir.toAbsolutePath().normalize() + " to " + url.masked() + ": "
                    + describe(counts));
            return EXIT_COPIED;
        } catch (StoreCopy.NotEmpty e) {
            return refuse(err, "the PostgreSQL database at " + url.masked() + " is not empty: " + e.getMessage());
        } catch (IOException | StorageException | UncheckedIOException e) {
            err.println(COMMAND + ": " + url.maskIn(String.valueOf(e.getMessage())) + "; nothing was copied");
            return EXIT_FAILED;
        }
    }

    private static int refuse(PrintStream err, String why) {
        err.println(COMMAND + ": " + why + "; nothing was copied");
        return EXIT_REFUSED;
    }

    /** "3 messages, 3 deliveries, 5 attempts, 1 attachment (1 file, 2.0 KiB), 1 contact, …". */
    static String describe(StoreCopy.Counts counts) {
        List<String> parts = new ArrayList<>();
        for (StoreCopy.Table table : StoreCopy.Table.values()) {
            String part = plural(counts.of(table), table.noun());
            parts.add(table == StoreCopy.Table.ATTACHMENTS
                    ? part + " (" + plural(counts.contents(), "file") + ", " + size(counts.bytes()) + ")" : part);
        }
        return String.join(", ", parts);
    }

    private static String plural(long count, String noun) {
        if (count == 1) {
            return count + " " + noun;
        }
        return count + " " + (noun.endsWith("y") ? noun.substring(0, noun.length() - 1) + "ies" : noun + "s");
    }

    private static String size(long bytes) {
        return bytes < 1024 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", bytes >= 1 << 20
                ? bytes / (double) (1 << 20) : bytes / 1024.0, bytes >= 1 << 20 ? "MiB" : "KiB");
    }
}
