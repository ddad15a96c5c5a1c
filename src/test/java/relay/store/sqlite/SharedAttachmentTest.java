package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import relay.domain.Attachment;
import relay.domain.MessageKind;
import relay.store.AttachmentStore;
import relay.store.StoreFixture;
import relay.store.sqlite.AttachmentFiles;
import relay.testing.Seed;

/**
 * Uploads of the same bytes share one file. One of them being dropped (refused for its kind, or its message refused)
 * while another is still being recorded must not take the file from under the other: that race answered
 * 500 "attachment file missing". Each round starts both uploads together and shifts one by a seeded random spin;
 * the seed is named when it fails ({@code -Dtest.seed=…} runs it again).
 */
class SharedAttachmentTest {
    private static final int ROUNDS = 150;

    @TempDir
    Path dataDir;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    private final StoreFixture fixture = new StoreFixture();
    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    private SqliteStore outbox;

    @BeforeEach
    void open() throws IOException {
        outbox = SqliteStore.open(dataDir, fixture.clock);
    }

    @AfterEach
    void close() {
        threads.shutdownNow();
        outbox.close();
    }

    @Test
    void shouldKeepTheFileOfAnUploadRecordedWhileAnotherOfTheSameBytesIsDropped() throws Exception {
        Random random = seed.random();
        for (int round = 0; round < ROUNDS; round++) {
            String where = "round " + round;
            byte[] content = new byte[1 + random.nextInt(8192)];
            random.nextBytes(content);
            boolean refusedMessage = random.nextBoolean();
            int droppedSpin = random.nextInt(2000);
            int keptSpin = random.nextInt(2000);
            CyclicBarrier start = new CyclicBarrier(2);

            Future<?> dropped = threads.submit(() -> {
                await(start);
                spin(droppedSpin);
                drop(content, refusedMessage);
                return null;
            });
            Future<Attachment> kept = threads.submit(() -> {
                await(start);
                spin(keptSpin);
                return upload(content);
            });

            Attachment attachment = result(kept, where);
            result(dropped, where);
            assertEquals(attachment, outbox.attachment(attachment.id()).orElseThrow(), where);
            assertTrue(Files.exists(outbox.files().path(attachment.sha256())), "the file is gone in " + where);
            try (InputStream in = Channels.newInputStream(outbox.open(attachment.sha256()))) {
                assertArrayEquals(content, in.readAllBytes(), where);
            }
        }
    }

    /** What ChatService does with an upload that turns out unwanted: before or after its row is saved. */
    private void drop(byte[] content, boolean refusedMessage) throws IOException {
        if (refusedMessage) {
            outbox.discardAttachment(upload(content).id());
        } else {
            var stored = (AttachmentStore.Written.Stored) outbox.upload(new ByteArrayInputStream(content), 1 << 20);
            outbox.discardUnreferencedFile(stored.sha256());
        }
    }

    private Attachment upload(byte[] content) throws IOException {
        var stored = (AttachmentStore.Written.Stored) outbox.upload(new ByteArrayInputStream(content), 1 << 20);
        Attachment attachment = new Attachment(fixture.newAttachmentId(), MessageKind.DOCUMENT, "notes.bin",
                "application/octet-stream", stored.size(), stored.sha256(), fixture.clock.instant());
        outbox.saveAttachment(attachment);
        return attachment;
    }

    private static <T> T result(Future<T> future, String where) throws InterruptedException {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("failed in " + where, e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("stuck in " + where, e);
        }
    }

    private static void await(CyclicBarrier barrier) throws Exception {
        barrier.await(30, TimeUnit.SECONDS);
    }

    private static void spin(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }
}
