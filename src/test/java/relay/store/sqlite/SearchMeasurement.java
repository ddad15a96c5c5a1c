package relay.store.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntSupplier;
import relay.domain.DeliveryState;
import relay.domain.NewMessage;
import relay.store.SearchText;
import relay.store.jdbc.StoredRows;

/**
 * How long one page of search takes on a large chat: the message index ({@link SqliteSearch}) against the scan a
 * search without it would make (LIKE over every message's text, newest first, stopping once the page is full), and
 * the conversations' search, on a real chat.db in a temporary folder. A measurement to run by hand, not a test (no
 * test asserts a duration):
 *
 * <pre>
 * mvn -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp target/test-classes:target/classes:$(cat target/cp.txt) relay.store.sqlite.SearchMeasurement [messages]
 * </pre>
 */
public final class SearchMeasurement {
    private static final String[] WORDS = ("olá bom dia boa tarde obrigado pedido entrega café amanhã reunião "
            + "relatório cliente pagamento boleto nota fiscal segunda terça problema resolvido ótimo valeu endereço "
            + "confirmado horário agenda proposta contrato assinatura desconto prazo orçamento semana").split(" ");
    private static final int PHONES = 5_000;
    private static final int BATCH = 1_000;
    private static final int PAGE = 50;
    private static final int RUNS = 21;
    private static final String LIKE_SCAN = "SELECT " + Rows.STATUS_COLUMNS + Rows.STATUS_FROM
            + " WHERE m.text LIKE ? ESCAPE '\\' OR a.filename LIKE ? ESCAPE '\\'"
            + " ORDER BY m.created_at DESC, m.id DESC LIMIT ?";

    private SearchMeasurement() {
    }

    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        Path dir = Files.createTempDirectory("search-measurement");
        try (SqliteStore store = SqliteStore.open(dir, InstantSource.system())) {
            long loading = System.nanoTime();
            load(store, messages);
            System.out.printf(Locale.ROOT, "%,d messages over %,d phones stored in %.1f s; chat.db %,d KiB%n",
                    messages, PHONES, (System.nanoTime() - loading) / 1e9,
                    Files.size(dir.resolve("chat.db")) / 1024);
            SqliteSearch search = new SqliteSearch(store);
            SqliteContacts contacts = new SqliteContacts(store);
            for (int i = 0; i < PHONES; i += 10) {
                contacts.put(phone(i), "Cliente " + i);
            }
            System.out.println("query              | matches | LIKE scan (before) | index (after) | conversations");
            for (String query : List.of("xylofone", "zebra azul", "boleto", "reunião", "pedido entrega",
                    "Cliente 4990", "99990")) {
                SearchText text = SearchText.of(query);
                double before = median(() -> likeScan(store, query).size());
                double after = median(() -> search.messages(text, PAGE + 1, null).size());
                double conversations = median(() -> search.conversations(text, PAGE + 1, null).size());
                System.out.printf(Locale.ROOT, "%-18s | %7d | %15.2f ms | %10.2f ms | %10.2f ms%n", query,
                        likeScan(store, query).size(), before, after, conversations);
            }
        } finally {
            deleteAll(dir);
        }
    }

    /** Text messages from a seeded vocabulary, {@link #BATCH} per write; two rare ones deep in the past. */
    private static void load(SqliteStore store, int count) {
        SplittableRandom random = new SplittableRandom(42);
        Instant start = Instant.parse("2025-01-01T00:00:00Z");
        for (int from = 0; from < count; from += BATCH) {
            int first = from;
            int last = Math.min(count, from + BATCH);
            store.write(session -> {
                for (int i = first; i < last; i++) {
                    StringBuilder text = new StringBuilder();
                    for (int words = 3 + random.nextInt(15); words > 0; words--) {
                        text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                    }
                    if (i == count / 10) {
                        text.append("xylofone");
                    }
                    if (i == count / 2) {
                        text.append("zebra azul");
                    }
                    Updates.accept(session, new NewMessage(String.format("msg_%026d", i), phone(i % PHONES),
                            text.toString().strip(), null, start.plusSeconds(i)), DeliveryState.DELIVERED,
                            start.plusSeconds(i));
                }
                return null;
            });
        }
    }

    private static String phone(int i) {
        return String.format("+55119999%05d", i);
    }

    /** The page a search without the index reads: the newest messages whose text or file name holds the query. */
    private static List<?> likeScan(SqliteStore store, String query) {
        String pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return store.read(session -> {
            PreparedStatement select = session.prepare(LIKE_SCAN);
            select.setString(1, pattern);
            select.setString(2, pattern);
            select.setInt(3, PAGE + 1);
            return Rows.list(select, StoredRows::messageStatus);
        });
    }

    /** The median of {@link #RUNS} runs after two to warm up, in milliseconds. */
    private static double median(IntSupplier run) {
        run.getAsInt();
        run.getAsInt();
        double[] millis = new double[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            run.getAsInt();
            millis[i] = Duration.ofNanos(System.nanoTime() - start).toNanos() / 1e6;
        }
        Arrays.sort(millis);
        return millis[RUNS / 2];
    }

    private static void deleteAll(Path dir) throws Exception {
        List<Path> paths = new ArrayList<>();
        try (var walk = Files.walk(dir)) {
            walk.forEach(paths::add);
        }
        for (int i = paths.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(paths.get(i));
        }
    }
}
