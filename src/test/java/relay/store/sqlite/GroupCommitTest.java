package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.NewMessage;
import relay.store.StoreFixture;
import relay.testing.Await;

class GroupCommitTest {
    private static final Duration DEADLINE = Await.DEADLINE;
    private static final List<String> PHONES = List.of("+5511999990001", "+5511999990002", "+5511999990003",
            "+5511999990004");

    @TempDir
    Path dataDir;

    private final StoreFixture fixture = new StoreFixture();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private SqliteStore outbox;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
    }

    @AfterEach
    void close() {
        threads.close();
        outbox.close();
    }

    @Test
    void shouldCommitWritesThatQueuedTogetherOnce() {
        CountDownLatch release = blockWriter();
        List<CompletableFuture<Message>> accepts = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            NewMessage message = fixture.newMessage(PHONES.get(i % PHONES.size()), "hello " + i, null);
            accepts.add(submit(() -> outbox.accept(message, DeliveryState.QUEUED)));
        }
        Await.until("100 queued writes", () -> outbox.queuedWrites() == 100);
        long commitsBefore = outbox.commitCount();

        release.countDown();
        all(accepts);

        assertEquals(2, outbox.commitCount() - commitsBefore,
                "one commit for the blocking write, one for the 100 writes queued behind it");
        assertEquals(100, outbox.counts().get(DeliveryState.QUEUED));
    }

    @Test
    void shouldKeepTheOtherWritesOfAGroupWhenOneFails() {
        CountDownLatch release = blockWriter();
        NewMessage before = fixture.newMessage(PHONES.get(0), "before", null);
        NewMessage after = fixture.newMessage(PHONES.get(0), "after", null);
        CompletableFuture<Message> first = submit(() -> outbox.accept(before, DeliveryState.QUEUED));
        Await.until("1 queued write", () -> outbox.queuedWrites() == 1);
        CompletableFuture<Object> failing = submit(() -> outbox.write(session -> {
            PreparedStatement insert = session.prepare("INSERT INTO messages (id, phone, sequence, created_at)"
                    + " VALUES ('msg_partial', '+5511999990009', 1, 0)");
            insert.executeUpdate();
            throw new IllegalArgumentException("refused after writing");
        }));
        Await.until("2 queued writes", () -> outbox.queuedWrites() == 2);
        CompletableFuture<Message> last = submit(() -> outbox.accept(after, DeliveryState.QUEUED));
        Await.until("3 queued writes", () -> outbox.queuedWrites() == 3);
        long commitsBefore = outbox.commitCount();

        release.countDown();

        assertEquals(1, join(first).sequence());
        assertEquals(2, join(last).sequence());
        CompletionException refused = assertThrowsCompletion(failing);
        assertInstanceOf(IllegalArgumentException.class, refused.getCause());
        assertEquals(2, outbox.commitCount() - commitsBefore);
        assertTrue(outbox.message("msg_partial").isEmpty());
        assertTrue(outbox.conversation("+5511999990009", 10, null).isEmpty());
        assertEquals(List.of("before", "after"), outbox.conversation(PHONES.get(0), 10, null).stream()
                .map(status -> status.message().text()).toList());
    }

    @Test
    void shouldCommitQueuedWritesBeforeClosing() throws IOException {
        CountDownLatch release = blockWriter();
        List<CompletableFuture<Message>> accepts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            NewMessage message = fixture.newMessage(PHONES.getFirst(), "hello " + i, null);
            accepts.add(submit(() -> outbox.accept(message, DeliveryState.QUEUED)));
        }
        Await.until("10 queued writes", () -> outbox.queuedWrites() == 10);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(outbox::close, threads);
        Await.until("the ten writes and the writer's stop signal queued", () -> outbox.queuedWrites() == 11);
        release.countDown();
        join(closing);

        assertEquals(10, all(accepts).size());
        outbox = SqliteStore.open(dataDir, fixture.clock);
        assertEquals(10, outbox.conversation(PHONES.getFirst(), 100, null).size());
    }

    /** Occupies the writer thread until the returned latch opens, so that writes queue up behind it. */
    private CountDownLatch blockWriter() {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        submit(() -> outbox.write(session -> {
            running.countDown();
            awaitLatch(release);
            return null;
        }));
        awaitLatch(running);
        return release;
    }

    private <T> CompletableFuture<T> submit(Supplier<T> task) {
        return CompletableFuture.supplyAsync(task, threads);
    }

    private static <T> List<T> all(List<CompletableFuture<T>> futures) {
        return futures.stream().map(GroupCommitTest::join).toList();
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("no result within " + DEADLINE, e);
        }
    }

    private static CompletionException assertThrowsCompletion(CompletableFuture<?> future) {
        try {
            future.orTimeout(DEADLINE.toSeconds(), TimeUnit.SECONDS).join();
        } catch (CompletionException e) {
            return e;
        }
        return fail("expected the write to fail");
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            assertTrue(latch.await(DEADLINE.toSeconds(), TimeUnit.SECONDS), "latch not released in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
