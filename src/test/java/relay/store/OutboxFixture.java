package relay.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.Message;
import relay.domain.MessageKind;
import relay.domain.NewMessage;
import relay.testing.FakeClock;

/** Builds messages and attempts for the outbox tests; each message is created one second after the previous. */
final class OutboxFixture {
    static final Instant START = Instant.parse("2025-03-01T10:00:00Z");

    final FakeClock clock = new FakeClock(START);
    private int nextId = 1;

    Message accept(Outbox outbox, String phone, String text) {
        return outbox.accept(newMessage(phone, text, null));
    }

    NewMessage newMessage(String phone, String text, String attachmentId) {
        return new NewMessage(String.format("msg_%04d", nextId++), phone, text, attachmentId,
                clock.advance(Duration.ofSeconds(1)));
    }

    /** Safe to call from several threads at once. */
    synchronized String newAttachmentId() {
        return String.format("att_%04d", nextId++);
    }

    Attachment saveAttachment(Outbox outbox, String content) throws IOException {
        var stored = (AttachmentFiles.Written.Stored) outbox.files().write(
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), 1024);
        Attachment attachment = new Attachment(String.format("att_%04d", nextId++), MessageKind.DOCUMENT, "notes.txt",
                "text/plain", stored.size(), stored.sha256(), clock.instant());
        outbox.saveAttachment(attachment);
        return attachment;
    }

    Attempt failedAttempt(String messageId, int number, int status) {
        return new Attempt(messageId, number, clock.advance(Duration.ofSeconds(1)), 120, status, "HTTP " + status,
                "busy");
    }

    Attempt successfulAttempt(String messageId, int number) {
        return new Attempt(messageId, number, clock.advance(Duration.ofSeconds(1)), 80, 200, null, "ok");
    }
}
