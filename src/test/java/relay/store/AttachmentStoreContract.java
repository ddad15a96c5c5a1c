package relay.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.Attachment;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.testing.Seed;

/** What every backend's {@link AttachmentStore} promises; a backend's test subclasses this and says how it opens. */
public abstract class AttachmentStoreContract extends StoreContract {
    private static final String ALICE = "+5511999990001";
    /** Rounds of the race between recording one upload and dropping another of the same bytes. */
    private static final int ROUNDS = 150;
    private static final int ROUND_SECONDS = 30;

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    @Test
    void shouldReadBackTheBytesOfAnUpload() throws Exception {
        byte[] content = new byte[AttachmentStore.HEAD_BYTES + 100];
        seed.random().nextBytes(content);

        var stored = assertInstanceOf(AttachmentStore.Written.Stored.class,
                attachments.upload(new ByteArrayInputStream(content), content.length));

        assertEquals(content.length, stored.size());
        assertArrayEquals(Arrays.copyOf(content, AttachmentStore.HEAD_BYTES), stored.head());
        try (SeekableByteChannel channel = attachments.open(stored.sha256())) {
            assertEquals(content.length, channel.size());
            assertArrayEquals(content, Channels.newInputStream(channel).readAllBytes());
        }
    }

    @Test
    void shouldStopAnUploadLargerThanItsLimitAndKeepNothing() throws Exception {
        byte[] content = new byte[101];

        assertEquals(new AttachmentStore.Written.TooLarge(100),
                attachments.upload(new ByteArrayInputStream(content), 100));

        var fits = stored(content, 101);
        assertTrue(attachments.discardUnreferencedFile(fits.sha256()), "the refused upload left no hold on it");
    }

    @Test
    void shouldResolveTheAttachmentOfAnAcceptedMessage() throws IOException {
        Attachment attachment = fixture.saveAttachment(attachments, "minutes of the meeting");

        Message accepted = queue.accept(fixture.newMessage(ALICE, null, attachment.id()), DeliveryState.QUEUED);

        assertEquals(attachment, accepted.attachment());
        assertEquals(MessageKind.DOCUMENT, reads.message(accepted.id()).orElseThrow().message().kind());
        assertEquals(attachment, attachments.attachment(attachment.id()).orElseThrow());
    }

    @Test
    void shouldRefuseAnAttachmentWhoseFileIsMissingAsAStorageFault() {
        Attachment attachment = new Attachment("att_1", MessageKind.IMAGE, "cat.png", "image/png", 10,
                "0".repeat(64), fixture.clock.instant());

        StorageException refused = assertThrows(StorageException.class, () -> attachments.saveAttachment(attachment));

        assertEquals(StorageFault.UNREACHABLE, refused.fault());
        assertFalse(refused.getMessage().contains("/"), "no path: " + refused.getMessage());

        assertTrue(attachments.attachment("att_1").isEmpty());
    }

    @Test
    void shouldDiscardOnlyFilesNoAttachmentRefersTo() throws Exception {
        Attachment kept = fixture.saveAttachment(attachments, "referenced");
        var rejected = stored(new byte[] {1, 2, 3}, 100);

        assertFalse(attachments.discardUnreferencedFile(kept.sha256()));
        assertTrue(attachments.discardUnreferencedFile(rejected.sha256()));

        assertTrue(isStored(kept.sha256()));
        assertFalse(isStored(rejected.sha256()));
    }

    @Test
    void shouldDiscardAnAttachmentNoMessageUsesKeepingContentOthersShare() throws Exception {
        Attachment first = fixture.saveAttachment(attachments, "shared");
        Attachment second = fixture.saveAttachment(attachments, "shared");
        Attachment sent = fixture.saveAttachment(attachments, "sent");
        queue.accept(fixture.newMessage(ALICE, null, sent.id()), DeliveryState.QUEUED);

        assertTrue(attachments.discardAttachment(first.id()));
        assertTrue(isStored(second.sha256()), "the other attachment still uses the content");
        assertTrue(attachments.discardAttachment(second.id()));
        assertFalse(attachments.discardAttachment(sent.id()), "a message uses it");
        assertFalse(attachments.discardAttachment("att_nope"));

        assertTrue(attachments.attachment(first.id()).isEmpty());
        assertFalse(isStored(second.sha256()));
        assertEquals(sent, attachments.attachment(sent.id()).orElseThrow());
        assertTrue(isStored(sent.sha256()));
    }

    /**
     * Uploads of the same bytes share their content. One of them being dropped (refused for its kind, or its message
     * refused) while another is still being recorded must not take the content from under the other: that race
     * answered 500 "attachment file missing". Each round starts both uploads together and shifts one by a seeded
     * random spin.
     */
    @Test
    void shouldKeepTheFileOfAnUploadRecordedWhileAnotherOfTheSameBytesIsDropped() throws Exception {
        Random random = seed.random();
        try (ExecutorService threads = Executors.newFixedThreadPool(2)) {
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
                assertEquals(attachment, attachments.attachment(attachment.id()).orElseThrow(), where);
                assertTrue(isStored(attachment.sha256()), "the file is gone in " + where);
                try (InputStream in = Channels.newInputStream(attachments.open(attachment.sha256()))) {
                    assertArrayEquals(content, in.readAllBytes(), where);
                }
            }
        }
    }

    /** What ChatService does with an upload that turns out unwanted: before or after its row is saved. */
    private void drop(byte[] content, boolean refusedMessage) throws IOException {
        if (refusedMessage) {
            attachments.discardAttachment(upload(content).id());
        } else {
            attachments.discardUnreferencedFile(stored(content, 1 << 20).sha256());
        }
    }

    private Attachment upload(byte[] content) throws IOException {
        AttachmentStore.Written.Stored stored = stored(content, 1 << 20);
        Attachment attachment = new Attachment(fixture.newAttachmentId(), MessageKind.DOCUMENT, "notes.bin",
                "application/octet-stream", stored.size(), stored.sha256(), fixture.clock.instant());
        attachments.saveAttachment(attachment);
        return attachment;
    }

    /** Uploads {@code content}, which must fit {@code maxBytes}, and holds it as any upload does. */
    private AttachmentStore.Written.Stored stored(byte[] content, long maxBytes) throws IOException {
        return (AttachmentStore.Written.Stored) attachments.upload(new ByteArrayInputStream(content), maxBytes);
    }

    private static <T> T result(Future<T> future, String where) throws InterruptedException {
        try {
            return future.get(ROUND_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("failed in " + where, e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("stuck in " + where, e);
        }
    }

    private static void await(CyclicBarrier barrier) throws Exception {
        barrier.await(ROUND_SECONDS, TimeUnit.SECONDS);
    }

    private static void spin(int times) {
        for (int i = 0; i < times; i++) {
            Thread.onSpinWait();
        }
    }
}
