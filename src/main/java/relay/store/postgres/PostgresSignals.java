package relay.store.postgres;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import relay.log.EventLog;
import relay.store.Signal;
import relay.store.Signals;
import relay.store.StorageException;

/**
 * Hints between the instances sharing one PostgreSQL database, by {@code LISTEN/NOTIFY} on one channel.
 *
 * <p>Receiving: one connection of its own, outside the pool (a pooled one would be handed to others, and a LISTEN
 * lasts as long as its session), on which a virtual thread waits for notifications. When that connection is lost it
 * is made again by itself, with a growing pause, however long the database stays away; the incident is logged once
 * and its end once, and then a {@link Signal.Resync} is told to the listeners, since whatever was sent meanwhile
 * was missed.
 *
 * <p>Sending: {@code pg_notify} through the pool, from a queue drained by a thread of its own, so that no caller
 * waits on the database or fails because of it. What cannot be sent (the database away, the queue full) is dropped,
 * logged once per incident; the first batch sent after it carries a {@link Signal.Resync}, so the others re-read
 * what they may have missed. PostgreSQL delivers a notification on commit, to every listening session of the
 * database, this instance's own included: each payload names its sender, and its own are ignored.
 */
public final class PostgresSignals implements Signals {
    private static final EventLog LOG = EventLog.of(PostgresSignals.class);
    /** One channel per database: NOTIFY does not cross databases, so two installations never hear each other. */
    static final String CHANNEL = "relay_signals";
    /** pg_notify refuses a payload of 8000 bytes or more (the server's default build). */
    static final int MAX_PAYLOAD_BYTES = 7999;
    /** Every payload names its sender; bounded so that any hint of ours fits with room to spare. */
    static final int MAX_INSTANCE_ID_BYTES = 200;
    private static final int OUTBOX = 10_000;
    private static final int BATCH = 500;
    /** How long a wait for notifications lasts; an idle connection is checked with a query after each. */
    private static final Duration LISTEN_WAIT = Duration.ofSeconds(5);
    private static final Duration FIRST_PAUSE = Duration.ofMillis(200);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(5);
    /** How long closing waits for the hints queued before it to be sent. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    /** Queued by {@link #close} behind the last hint, told apart by identity: no payload is this instance. */
    private static final String STOP = new String("stop");
    private static final String NOTIFY = "SELECT pg_notify('" + CHANNEL + "', p) FROM unnest(?::text[]) AS p";

    private final String jdbcUrl;
    private final Properties connection;
    private final PostgresStore store;
    private final String instanceId;
    private final String shownAs;
    private final List<Consumer<Signal>> listeners = new CopyOnWriteArrayList<>();
    private final BlockingQueue<String> outbox = new LinkedBlockingQueue<>(OUTBOX);
    /** Hints were dropped since the last batch went out: the next one tells the others to resync. */
    private final AtomicBoolean missed = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile Connection listening;
    private volatile boolean closed;
    private Thread receiver;
    private Thread sender;

    private PostgresSignals(String jdbcUrl, Properties connection, PostgresStore store, String instanceId,
                            String shownAs) {
        this.jdbcUrl = jdbcUrl;
        this.connection = connection;
        this.store = store;
        this.instanceId = instanceId;
        this.shownAs = shownAs;
    }

    /**
     * Starts listening (before it returns, so that nothing sent afterwards is missed) and sending.
     *
     * @param jdbcUrl    {@code jdbc:postgresql://host:port/database}, without credentials
     * @param user       empty for the driver's default
     * @param password   empty for none
     * @param store      whose pool sends
     * @param instanceId names this instance in what it sends; at most {@link #MAX_INSTANCE_ID_BYTES} bytes
     * @param shownAs    how messages name the database: its URL without the password
     * @throws IOException with a message fit to show as it is, when the listening connection cannot be made
     */
    public static PostgresSignals open(String jdbcUrl, String user, String password, PostgresStore store,
                                       String instanceId, String shownAs) throws IOException {
        Objects.requireNonNull(store, "store");
        if (instanceId.isEmpty() || instanceId.getBytes(StandardCharsets.UTF_8).length > MAX_INSTANCE_ID_BYTES) {
            throw new IllegalArgumentException("an instance id has 1 to " + MAX_INSTANCE_ID_BYTES + " bytes");
        }
        Properties properties = new Properties();
        if (!user.isEmpty()) {
            properties.setProperty("user", user);
        }
        if (!password.isEmpty()) {
            properties.setProperty("password", password);
        }
        properties.setProperty("ApplicationName", "chat-webhook-relay signals");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("connectTimeout", "5");
        // The idle check after each wait fails within this when the server went away without a word.
        properties.setProperty("socketTimeout", "30");
        PostgresSignals signals = new PostgresSignals(jdbcUrl, properties, store, instanceId, shownAs);
        try {
            signals.listening = signals.connect();
        } catch (SQLException e) {
            throw new IOException("PostgreSQL at " + shownAs + " cannot be listened to: " + e.getMessage() + " ("
                    + Faults.codeOf(e) + ")", e);
        }
        signals.receiver = Thread.ofVirtual().name("signals-receiver").start(signals::receive);
        signals.sender = Thread.ofVirtual().name("signals-sender").start(signals::drain);
        return signals;
    }

    @Override
    public void send(Signal signal) {
        if (closed) {
            return;
        }
        String payload = encode(instanceId, signal);
        if (payload.getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD_BYTES) {
            dropped("a hint longer than " + MAX_PAYLOAD_BYTES + " bytes");
        } else if (!outbox.offer(payload)) {
            dropped("more than " + OUTBOX + " hints waiting to be sent");
        }
    }

    @Override
    public void addListener(Consumer<Signal> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public boolean shared() {
        return true;
    }

    // ---- sending

    /** Sends what is queued, in batches, until {@link #close} puts {@link #STOP} behind the last hint. */
    private void drain() {
        List<String> batch = new ArrayList<>();
        while (true) {
            try {
                batch.add(outbox.take());
            } catch (InterruptedException e) {
                return;
            }
            outbox.drainTo(batch, BATCH - 1);
            boolean stopping = batch.removeIf(payload -> payload == STOP);
            if (!batch.isEmpty()) {
                sendBatch(batch);
            }
            if (stopping) {
                return;
            }
            batch.clear();
        }
    }

    private void sendBatch(List<String> batch) {
        boolean resync = missed.getAndSet(false);
        if (resync) {
            batch.add(encode(instanceId, new Signal.Resync()));
        }
        try {
            store.transaction(connection -> notify(connection, batch));
            if (resync) {
                LOG.info("signals.sending_again", "📣 Hints to the other instances go out again; they were told to"
                        + " re-read what they may have missed");
            }
        } catch (RuntimeException e) {
            // A storage fault was logged by the pool as its own incident; anything else is said here, once.
            missed.set(true);
            if (!resync && !(e instanceof StorageException)) {
                LOG.warn("signals.send_failed", "📣 Hints to the other instances could not be sent (" + e.getMessage()
                        + "); they catch up by their periodic checks");
            }
        }
    }

    private static int notify(Connection connection, List<String> payloads) throws SQLException {
        Array array = connection.createArrayOf("text", payloads.toArray());
        try (PreparedStatement statement = connection.prepareStatement(NOTIFY)) {
            statement.setArray(1, array);
            statement.executeQuery().close();
            return payloads.size();
        } finally {
            array.free();
        }
    }

    private void dropped(String why) {
        if (!missed.getAndSet(true)) {
            LOG.warn("signals.dropped", "📣 Hints to the other instances were dropped (" + why + "); they catch up"
                    + " by their periodic checks", "reason", why);
        }
    }

    // ---- receiving

    private Connection connect() throws SQLException {
        Connection made = DriverManager.getConnection(jdbcUrl, connection);
        try (Statement statement = made.createStatement()) {
            made.setAutoCommit(true);
            statement.execute("LISTEN " + CHANNEL);
            return made;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(made);
            throw e;
        }
    }

    /** Waits for notifications until closed, making the connection again whenever it is lost. */
    private void receive() {
        Duration pause = FIRST_PAUSE;
        boolean lost = false;
        while (!closed) {
            try {
                if (listening == null) {
                    listening = connect();
                    if (lost) {
                        lost = false;
                        pause = FIRST_PAUSE;
                        LOG.info("signals.listening_again", "📡 Listening to the other instances again; re-reading "
                                + "what may have changed meanwhile", "database", shownAs);
                        tell(Set.of(new Signal.Resync()));
                    }
                }
                waitForNotifications(listening);
            } catch (SQLException | RuntimeException e) {
                closeQuietly(listening);
                listening = null;
                if (closed) {
                    return;
                }
                if (!lost) {
                    lost = true;
                    LOG.warn("signals.listening_lost", "📡 Lost the connection that hears the other instances ("
                            + (e instanceof SQLException sql ? Faults.codeOf(sql) : e.getClass().getSimpleName())
                            + "); making it again, and until then their changes show by the periodic checks",
                            "database", shownAs);
                }
                pause(pause);
                pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
            }
        }
        closeQuietly(listening);
    }

    private void waitForNotifications(Connection connection) throws SQLException {
        PGConnection postgres = connection.unwrap(PGConnection.class);
        while (!closed) {
            PGNotification[] arrived = postgres.getNotifications((int) LISTEN_WAIT.toMillis());
            if (arrived == null || arrived.length == 0) {
                // Nothing for a while: make sure the connection still answers, not a peer that vanished silently.
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SELECT 1");
                }
                continue;
            }
            Set<Signal> heard = new LinkedHashSet<>();
            for (PGNotification notification : arrived) {
                decode(notification.getParameter()).filter(h -> !h.from().equals(instanceId))
                        .ifPresent(h -> heard.add(h.signal()));
            }
            tell(heard);
        }
    }

    /** Each hint once per batch (a burst of changes to one message reads it once), in the order first heard. */
    private void tell(Set<Signal> heard) {
        for (Signal signal : heard) {
            for (Consumer<Signal> listener : listeners) {
                try {
                    listener.accept(signal);
                } catch (StorageException e) {
                    // The store logged its incident; the backstops read again later.
                } catch (RuntimeException e) {
                    LOG.error("signals.listener_failed", "💥 A listener of the other instances' hints failed", e);
                }
            }
        }
    }

    private void pause(Duration pause) {
        try {
            closing.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // already broken: nothing to release
        }
    }

    // ---- the payload: "kind sender [fields]", each URL-encoded, so any character of an id or a phone fits

    /** A hint as heard, with the instance that sent it. */
    record Heard(String from, Signal signal) {
    }

    static String encode(String from, Signal signal) {
        List<String> fields = switch (signal) {
            case Signal.MessageChanged changed -> List.of("m", from, changed.messageId(), changed.phone(),
                    changed.newWork() ? "1" : "0");
            case Signal.Circuit circuit -> List.of("c", from);
            case Signal.ConfigChanged config -> List.of("g", from);
            case Signal.ContactChanged contact -> List.of("p", from, contact.phone());
            case Signal.Resync resync -> List.of("r", from);
        };
        return fields.stream().map(field -> URLEncoder.encode(field, StandardCharsets.UTF_8))
                .collect(Collectors.joining(" "));
    }

    /** Empty for what this version cannot read (another's payload, a kind added later): hints can be missed. */
    static Optional<Heard> decode(String payload) {
        String[] fields = payload == null ? new String[0] : payload.split(" ", -1);
        if (fields.length < 2) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        try {
            for (String field : fields) {
                values.add(URLDecoder.decode(field, StandardCharsets.UTF_8));
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        Signal signal = switch (values.getFirst() + "/" + values.size()) {
            case "m/5" -> switch (values.get(4)) {
                case "1" -> new Signal.MessageChanged(values.get(2), values.get(3), true);
                case "0" -> new Signal.MessageChanged(values.get(2), values.get(3), false);
                default -> null;
            };
            case "c/2" -> new Signal.Circuit();
            case "g/2" -> new Signal.ConfigChanged();
            case "p/3" -> new Signal.ContactChanged(values.get(2));
            case "r/2" -> new Signal.Resync();
            default -> null;
        };
        return Optional.ofNullable(signal).map(s -> new Heard(values.get(1), s));
    }

    /**
     * Sends what is queued already (the last changes of attempts that ended during a graceful stop), waiting a
     * little for it, then stops listening and sending.
     */
    @Override
    public void close() {
        closed = true;
        if (!outbox.offer(STOP)) {
            sender.interrupt();
        }
        join(sender);
        closing.countDown();
        Connection connection = listening;
        if (connection != null) {
            try {
                // Ends a wait under way at once: close() would queue behind it.
                connection.abort(Runnable::run);
            } catch (SQLException e) {
                // already broken
            }
        }
        receiver.interrupt();
        join(receiver);
    }

    private static void join(Thread thread) {
        try {
            if (!thread.join(CLOSE_WAIT)) {
                thread.interrupt();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
