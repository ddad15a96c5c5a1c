package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.DeliveryState;
import relay.domain.NewMessage;
import relay.store.StoreFixture;

/**
 * The write-ahead log stays bounded under writes with readers about. Checkpoints are driven by hand, so nothing
 * depends on timing; the checkpointer's own timer may also run meanwhile, which changes none of the outcomes.
 * (Reads through the outbox that never pause would keep a restart waiting until the log is past half its bound,
 * so only the first test runs them.)
 */
class WalBoundTest {
    private static final long BOUND = 1024 * 1024;
    private static final List<String> PHONES = List.of("+5511999990001", "+5511999990002", "+5511999990003");

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private final AtomicBoolean reading = new AtomicBoolean(true);
    private final AtomicLong reads = new AtomicLong();
    private SqliteStore outbox;
    private Thread reader;
    private int accepted;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock, BOUND);
    }

    @AfterEach
    void close() throws InterruptedException {
        reading.set(false);
        if (reader != null) {
            reader.join();
        }
        outbox.close();
    }

    /** Readers of every kind the API makes, back to back, until the test ends. */
    private void startReaders() {
        reader = Thread.ofPlatform().name("test-reader").start(() -> {
            while (reading.get()) {
                outbox.counts();
                outbox.conversations(50, null);
                outbox.conversation(PHONES.getFirst(), 50, null);
                reads.incrementAndGet();
            }
        });
    }

    @Test
    void shouldCutTheLogBackUnderItsBoundOnceAReaderOnAnOldSnapshotLetsGo() throws Exception {
        startReaders();
        try (Connection pinned = connect()) {
            holdSnapshot(pinned);
            while (walBytes() <= 2 * BOUND) {
                acceptConcurrently(200);
            }

            Checkpointer.Progress held = outbox.checkpoint();

            assertFalse(held.restarted(), "a reader on an old snapshot keeps the log");
            assertTrue(walBytes() > BOUND, "the log grew while held: " + walBytes());
            pinned.commit();
        }

        outbox.checkpoint();
        acceptConcurrently(50);

        assertTrue(walBytes() < BOUND, "the log is back under its bound: " + walBytes() + " bytes");
        assertTrue(reads.get() > 0, "readers ran throughout");
        assertEquals(accepted, outbox.counts().get(DeliveryState.QUEUED));
    }

    @Test
    void shouldLeaveTheLogAloneWhileAnOutboxReadIsUnderWayAndTheBoundIsFar() throws Exception {
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread longRead = Thread.ofPlatform().start(() -> outbox.read(session -> {
            reading.countDown();
            awaitUninterruptibly(release);
            return null;
        }));
        Checkpointer.Progress meanwhile;
        try {
            reading.await();
            // A few at a time, so that the log passes its limit by little.
            while (walBytes() <= Checkpointer.logLimit(BOUND)) {
                acceptConcurrently(3);
            }
            assertTrue(walBytes() < BOUND / 2, "still far from the bound: " + walBytes());

            meanwhile = outbox.checkpoint();
            acceptConcurrently(3);
        } finally {
            // Else the read would hold the store open, and the test's clean-up would wait for it forever.
            release.countDown();
            longRead.join();
        }

        assertFalse(meanwhile.restarted(), "no restart, which would hold writes until the read ends");
        outbox.checkpoint();
        acceptConcurrently(3);
        assertTrue(walBytes() <= Checkpointer.logLimit(BOUND), "cut back once the read ended: " + walBytes());
    }

    /** Writers commit in groups, as the API's concurrent requests make them do. */
    private void acceptConcurrently(int count) throws Exception {
        List<NewMessage> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            messages.add(fixture.newMessage(PHONES.get(i % PHONES.size()), "message " + (accepted + i), null));
        }
        try (ExecutorService writers = Executors.newFixedThreadPool(16)) {
            List<Future<?>> done = new ArrayList<>();
            for (NewMessage message : messages) {
                done.add(writers.submit(() -> outbox.accept(message, DeliveryState.QUEUED)));
            }
            for (Future<?> future : done) {
                future.get();
            }
        }
        accepted += count;
    }

    /** An open read transaction: a reader that began before the writes and keeps their frames in the log. */
    private static void holdSnapshot(Connection connection) throws SQLException {
        connection.setAutoCommit(false);
        try (Statement statement = connection.createStatement();
             ResultSet row = statement.executeQuery("SELECT COUNT(*) FROM messages")) {
            row.next();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        while (true) {
            try {
                latch.await();
                return;
            } catch (InterruptedException e) {
                // the test ends it by counting down, never by interrupting
            }
        }
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("chat.db"));
    }

    private long walBytes() throws IOException {
        return Files.size(dataDir.resolve("chat.db-wal"));
    }
}
