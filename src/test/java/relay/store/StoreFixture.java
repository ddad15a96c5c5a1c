package relay.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.DeliveryState;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.NewMessage;
import relay.domain.Ordering;
import relay.testing.FakeClock;

/** Builds messages and attempts for the store's tests; each message is created one second after the previous. */
public final class StoreFixture {
    public static final Instant START = Instant.parse("2025-03-01T10:00:00Z");

    public final FakeClock clock = new FakeClock(START);
    private int nextId = 1;

    /** Stores a text message as queued, as the chat does while the circuit is closed. */
    public Message accept(DeliveryQueue queue, String phone, String text) {
        return queue.accept(newMessage(phone, text, null), DeliveryState.QUEUED);
    }

    public NewMessage newMessage(String phone, String text, String attachmentId) {
        return new NewMessage(String.format("msg_%04d", nextId++), phone, text, attachmentId,
                clock.advance(Duration.ofSeconds(1)));
    }

    /** Safe to call from several threads at once. */
    public synchronized String newAttachmentId() {
        return String.format("att_%04d", nextId++);
    }

    /** Uploads {@code content} and records it as a document, as the chat does. */
    public Attachment saveAttachment(AttachmentStore attachments, String content) throws IOException {
        var stored = (AttachmentStore.Written.Stored) attachments.upload(
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), 1024);
        Attachment attachment = new Attachment(newAttachmentId(), MessageKind.DOCUMENT, "notes.txt", "text/plain",
                stored.size(), stored.sha256(), clock.instant());
        attachments.saveAttachment(attachment);
        return attachment;
    }

    /**
     * Claims the next due delivery, as an engine does before an attempt: it must be {@code messageId}'s, so a test
     * settles its messages in the order they came due. Lease and ordering are out of the way: five minutes, none.
     */
    public Claim claim(DeliveryQueue queue, String messageId) {
        List<Claim> next = queue.claim(clock.instant(), 1, "fixture", Duration.ofMinutes(5), Ordering.NONE);
        if (next.isEmpty() || !next.getFirst().messageId().equals(messageId)) {
            throw new IllegalStateException(messageId + " is not the next due delivery: " + next);
        }
        return next.getFirst();
    }

    /** Claims the delivery of the attempt's message ({@link #claim}) and records the attempt's outcome. */
    public void settle(DeliveryQueue queue, Attempt attempt, DeliveryState next, Instant nextAttemptAt,
                       String lastError) {
        if (!queue.complete(claim(queue, attempt.messageId()), attempt, next, nextAttemptAt, lastError)) {
            throw new IllegalStateException("the claim of " + attempt.messageId() + " did not hold");
        }
    }

    public Attempt failedAttempt(String messageId, int number, int status) {
        return new Attempt(messageId, number, clock.advance(Duration.ofSeconds(1)), 120, status, "HTTP " + status,
                "busy");
    }

    public Attempt successfulAttempt(String messageId, int number) {
        return new Attempt(messageId, number, clock.advance(Duration.ofSeconds(1)), 80, 200, null, "ok");
    }
}
