package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import relay.store.Signal;
import relay.testing.Await;
import relay.testing.LogCapture;
import relay.testing.Postgres;

/** Hints between instances over LISTEN/NOTIFY, on a real database: two instances' signals side by side. */
class PostgresSignalsTest {
    private static final String PHONE = "+5511999990001";

    private final Postgres.Database database = Postgres.newDatabase();
    private final List<AutoCloseable> opened = new ArrayList<>();

    /** What one instance hears, in order. */
    private record Instance(PostgresSignals signals, BlockingQueue<Signal> heard) {
        Signal next() throws InterruptedException {
            Signal signal = heard.poll(Await.DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertNotNull(signal, "no hint arrived");
            return signal;
        }

        /** Skips anything else until {@code expected} arrives. */
        void awaitHint(Signal expected) throws InterruptedException {
            while (!next().equals(expected)) {
                // not this one
            }
        }
    }

    private Instance open(String id) throws IOException {
        PostgresStore store = TestDatabases.open(database, InstantSource.system());
        opened.add(store);
        PostgresSignals signals = PostgresSignals.open(database.jdbcUrl(), database.user(), database.password(),
                store, id, database.jdbcUrl());
        opened.add(0, signals);
        BlockingQueue<Signal> heard = new LinkedBlockingQueue<>();
        signals.addListener(heard::add);
        return new Instance(signals, heard);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : opened) {
            closeable.close();
        }
    }

    @Test
    void shouldTellTheOtherInstancesEveryKindOfHintButNeverTheSenderItself() throws Exception {
        Instance a = open("instance-a");
        Instance b = open("instance-b");
        List<Signal> sent = List.of(new Signal.MessageChanged("msg_01", PHONE, true),
                new Signal.MessageChanged("msg_01", PHONE, false), new Signal.ConfigChanged(),
                new Signal.ContactChanged(PHONE), new Signal.Circuit());

        sent.forEach(a.signals()::send);

        List<Signal> heard = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            heard.add(b.next());
        }
        assertEquals(sent, heard);
        // Each listener hears commits in order: once b's own hint reaches a, a's echoes would have come before it.
        b.signals().send(new Signal.ContactChanged("+5511999990002"));
        assertEquals(new Signal.ContactChanged("+5511999990002"), a.next());
        assertEquals(List.of(), List.copyOf(a.heard()), "a never hears itself");
        assertEquals(List.of(), List.copyOf(b.heard()), "nor b");
    }

    @Test
    void shouldDropAHintTooLongForNotifyWithoutThrowingAndTellTheOthersToResync() throws Exception {
        Instance a = open("instance-a");
        Instance b = open("instance-b");
        try (LogCapture log = LogCapture.start()) {
            assertDoesNotThrow(() -> a.signals().send(new Signal.ContactChanged("9".repeat(8000))));
            a.signals().send(new Signal.ConfigChanged());

            assertEquals(new Signal.ConfigChanged(), b.next());
            assertEquals(new Signal.Resync(), b.next(), "what was dropped may have mattered: the others re-read");
            assertEquals(1, log.events("signals.dropped").size());
        }
    }

    @Test
    void shouldSendWhatWasQueuedBeforeClosing() throws Exception {
        Instance a = open("instance-a");
        Instance b = open("instance-b");

        a.signals().send(new Signal.MessageChanged("msg_last", PHONE, true));
        a.signals().close();
        a.signals().send(new Signal.ConfigChanged());

        assertEquals(new Signal.MessageChanged("msg_last", PHONE, true), b.next(), "a graceful stop's last change");
        b.signals().send(new Signal.Resync());
        assertEquals(null, b.heard().poll(300, TimeUnit.MILLISECONDS), "nothing is sent once closed");
    }

    @Test
    void shouldRefuseAnInstanceIdThatWouldCrowdThePayload() {
        assertThrows(IllegalArgumentException.class, () -> open("x".repeat(PostgresSignals.MAX_INSTANCE_ID_BYTES + 1)));
        assertThrows(IllegalArgumentException.class, () -> open(""));
    }

    @Test
    void shouldReadBackEveryKindItWritesAndIgnoreWhatItCannotRead() {
        String id = "host name-4242 ü";
        for (Signal signal : List.of(new Signal.MessageChanged("msg_01", "+55 11 %9", true),
                new Signal.MessageChanged("msg_01", PHONE, false), new Signal.Circuit(),
                new Signal.ConfigChanged(), new Signal.ContactChanged(PHONE), new Signal.Resync())) {
            String payload = PostgresSignals.encode(id, signal);
            assertEquals(Optional.of(new PostgresSignals.Heard(id, signal)), PostgresSignals.decode(payload),
                    payload);
        }
        for (String unreadable : new String[] {"", "m", "m a", "z a", "p a", "m a b c", "m a b c d", "m a b c 1 e", "g %zz", null}) {
            assertEquals(Optional.empty(), PostgresSignals.decode(unreadable), unreadable);
        }
    }

    @Test
    void shouldListenAgainAfterItsConnectionIsKilledAndSayToResync() throws Exception {
        Instance a = open("instance-a");
        Instance b = open("instance-b");
        try (LogCapture log = LogCapture.start()) {
            terminateListeningSessions();

            b.awaitHint(new Signal.Resync());
            a.awaitHint(new Signal.Resync());
            a.signals().send(new Signal.ContactChanged(PHONE));
            assertEquals(new Signal.ContactChanged(PHONE), b.next(), "b listens again");
            assertEquals(2, log.events("signals.listening_lost").size(), "one line per instance");
            assertEquals(2, log.events("signals.listening_again").size());
        }
    }

    @Test
    void shouldNotThrowWhenSendingWhileTheDatabaseIsAwayAndCatchUpAfter() throws Exception {
        Instance a = open("instance-a");
        Instance b = open("instance-b");
        try (LogCapture log = LogCapture.start()) {
            Postgres.cutOff(database);
            try {
                for (int i = 0; i < 100; i++) {
                    a.signals().send(new Signal.MessageChanged("msg_" + i, PHONE, true));
                }
                Await.until("the listeners noticed", () -> log.events("signals.listening_lost").size() == 2);
            } finally {
                Postgres.reconnect(database);
            }

            b.awaitHint(new Signal.Resync());
            a.signals().send(new Signal.ConfigChanged());
            b.awaitHint(new Signal.ConfigChanged());
        }
    }

    private void terminateListeningSessions() throws IOException {
        try (PostgresStore admin = TestDatabases.open(database, InstantSource.system())) {
            int ended = admin.transaction(connection -> Sql.list(connection, "SELECT pg_terminate_backend(pid)"
                    + " FROM pg_stat_activity WHERE application_name = 'chat-webhook-relay signals'"
                    + " AND datname = current_database()", row -> row.getBoolean(1)).size());
            assertEquals(2, ended);
        }
    }
}
