package relay.chat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import relay.domain.Attachment;
import relay.domain.Attempt;
import relay.domain.AttemptMetrics;
import relay.domain.AttemptOutcome;
import relay.domain.AttemptStats;
import relay.domain.Conversation;
import relay.domain.Delivery;
import relay.domain.DeliveryState;
import relay.domain.Failure;
import relay.domain.Message;
import relay.domain.MessageStatus;
import relay.domain.NewMessage;
import relay.log.EventLog;
import relay.store.AttachmentStore;
import relay.store.DeliveryQueue;
import relay.store.MessageReads;
import relay.store.StorageException;
import relay.webhook.CircuitBreaker;
import relay.webhook.DeliveryEngine;
import relay.webhook.DeliveryEvent;
import relay.webhook.WebhookBody;
import relay.webhook.WebhookSender;

/**
 * The chat as the API sees it: validate, store durably, hand to the delivery engine — and answer the questions
 * the pages ask. Nothing here waits on the webhook unless the caller asks to watch the first attempt.
 */
public final class ChatService {
    private static final EventLog LOG = EventLog.of(ChatService.class);

    private final DeliveryQueue queue;
    private final MessageReads reads;
    private final AttachmentStore attachments;
    private final DeliveryEngine engine;
    private final MessageValidator validator;
    private final KindDetector detector;
    private final Ids ids;
    private final long maxAttachmentBytes;
    private final Function<Message, WebhookBody> bodies;
    private final InstantSource clock;

    public ChatService(DeliveryQueue queue, MessageReads reads, AttachmentStore attachments, DeliveryEngine engine,
                       PhoneNumbers phones, Ids ids, long maxAttachmentBytes, Function<Message, WebhookBody> bodies,
                       InstantSource clock) {
        this.queue = queue;
        this.reads = reads;
        this.attachments = attachments;
        this.engine = engine;
        this.validator = new MessageValidator(phones, attachments::attachment, maxAttachmentBytes);
        this.detector = new KindDetector();
        this.ids = ids;
        this.maxAttachmentBytes = maxAttachmentBytes;
        this.bodies = bodies;
        this.clock = clock;
    }

    /** A message was accepted (durable) — with its first attempt's outcome when the caller asked to watch it. */
    public sealed interface SendResult {
        record Accepted(MessageStatus status, Optional<CompletableFuture<AttemptOutcome>> firstAttempt)
                implements SendResult {
        }

        record Rejected(ValidationError error) implements SendResult {
        }
    }

    public sealed interface UploadResult {
        record Uploaded(Attachment attachment) implements UploadResult {
        }

        record Rejected(ValidationError error) implements UploadResult {
        }
    }

    public enum Redelivery { REQUEUED, NOT_FOUND, ALREADY_DELIVERED, IN_PROGRESS }

    public enum Skip { SKIPPED, NOT_FOUND, ALREADY_DELIVERED, IN_PROGRESS }

    /** Validates, stores in one durable transaction, then starts the immediate attempt without waiting for it. */
    public SendResult send(MessageDraft draft, boolean watchFirstAttempt) {
        return switch (validator.validate(draft)) {
            case MessageValidator.Result.Valid valid -> store(valid.message(), watchFirstAttempt);
            case MessageValidator.Result.Invalid invalid -> new SendResult.Rejected(invalid.error());
        };
    }

    private SendResult store(ValidMessage valid, boolean watchFirstAttempt) {
        Optional<ValidationError> unsendable = checkSerializable(valid);
        if (unsendable.isPresent()) {
            return new SendResult.Rejected(unsendable.get());
        }
        DeliveryState initial = engine.stateForNewMessage();
        String id = ids.newMessageId();
        // Watched before it is stored: once stored, its first attempt may start and end at any moment.
        Optional<CompletableFuture<AttemptOutcome>> firstAttempt = watchFirstAttempt
                ? Optional.of(engine.watchFirstAttempt(id)) : Optional.empty();
        Message message;
        try {
            message = queue.accept(new NewMessage(id, valid.phone(), valid.text(),
                    valid.attachment() == null ? null : valid.attachment().id(), clock.instant()), initial);
        } catch (RuntimeException e) {
            engine.unwatch(id);
            throw e;
        }
        LOG.info("message.accepted", "💬 Message " + message.id() + " for " + message.phone() + " accepted",
                "message_id", message.id(), "phone", message.phone(), "kind", message.kind().wireName());
        return new SendResult.Accepted(new MessageStatus(message, engine.accepted(message, initial)), firstAttempt);
    }

    /** The webhook JSON is built once before storing, so a message that cannot be sent is refused, not stored. */
    private Optional<ValidationError> checkSerializable(ValidMessage valid) {
        try {
            bodies.apply(new Message("msg_check", valid.phone(), 1, valid.text(), valid.attachment(), clock.instant()))
                    .length();
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(new ValidationError("unserializable_message",
                    "The message cannot be turned into a webhook payload.", "text"));
        }
    }

    /**
     * Streams an upload to disk (never whole in memory), decides its kind from its first bytes, and records it.
     *
     * @throws IOException      when reading {@code body} fails
     * @throws StorageException when the disk or the database fails; nothing of the upload is kept
     */
    public UploadResult upload(InputStream body, String rawFilename) throws IOException {
        String filename = Filenames.sanitize(rawFilename, "attachment");
        return switch (attachments.upload(body, maxAttachmentBytes)) {
            case AttachmentStore.Written.TooLarge tooLarge -> new UploadResult.Rejected(tooLarge());
            case AttachmentStore.Written.Stored stored -> record(stored, filename);
        };
    }

    private UploadResult record(AttachmentStore.Written.Stored stored, String filename) {
        Optional<KindDetector.Detected> detected = stored.size() == 0 ? Optional.empty()
                : detector.detect(stored.head(), filename);
        if (detected.isEmpty()) {
            attachments.discardUnreferencedFile(stored.sha256());
            return new UploadResult.Rejected(stored.size() == 0
                    ? new ValidationError("empty_file", "The file is empty.", "file")
                    : new ValidationError("unsupported_attachment_type",
                    "The file is not an image, PDF, document, audio or video this service can send.", "file"));
        }
        Attachment attachment = new Attachment(ids.newAttachmentId(), detected.get().kind(),
                Filenames.withExtension(filename, detected.get().extensions()), detected.get().mimeType(),
                stored.size(), stored.sha256(), clock.instant());
        attachments.saveAttachment(attachment);
        LOG.info("attachment.stored", "📎 Attachment " + attachment.id() + ": " + attachment.kind().wireName() + " ("
                + attachment.size() + " bytes)", "attachment_id", attachment.id(), "size", attachment.size());
        return new UploadResult.Uploaded(attachment);
    }

    /**
     * Forgets an upload whose message was then refused (the one-call form upload), so a refused request leaves
     * nothing stored; an attachment some message uses is kept.
     */
    public void discardUpload(Attachment attachment) {
        try {
            if (attachments.discardAttachment(attachment.id())) {
                LOG.info("attachment.discarded", "🗑️ Attachment " + attachment.id() + " discarded: its message was "
                        + "refused", "attachment_id", attachment.id());
            }
        } catch (StorageException e) {
            // The store logged its incident; the unsent upload stays until housekeeping removes it, and the
            // request's own answer (the refusal, or this same storage failure) is the one to give.
        }
    }

    public ValidationError tooLarge() {
        return new ValidationError("attachment_too_large",
                "The file is larger than the limit of " + (maxAttachmentBytes / (1024 * 1024)) + " MB.", "file");
    }

    public long maxAttachmentBytes() {
        return maxAttachmentBytes;
    }

    public Redelivery redeliver(String messageId, boolean force) {
        Optional<Delivery> delivery = queue.delivery(messageId);
        if (delivery.isEmpty()) {
            return Redelivery.NOT_FOUND;
        }
        return switch (delivery.get().state()) {
            case DELIVERED -> force && engine.redeliver(messageId, true)
                    ? Redelivery.REQUEUED : Redelivery.ALREADY_DELIVERED;
            case FAILED, HELD -> engine.redeliver(messageId, force) ? Redelivery.REQUEUED : Redelivery.IN_PROGRESS;
            case QUEUED, SENDING, RETRYING -> Redelivery.IN_PROGRESS;
        };
    }

    public int redeliverFailed() {
        return engine.redeliverFailed();
    }

    /**
     * Gives up on a message that is not being sent or delivered (a failed head that blocks its conversation, a
     * message nobody wants sent any more): failed as skipped, never sent; the rest of its conversation goes on.
     * Skipping one skipped already changes nothing and says so as a success.
     */
    public Skip skip(String messageId) {
        if (queue.delivery(messageId).isEmpty()) {
            return Skip.NOT_FOUND;
        }
        if (engine.skip(messageId)) {
            return Skip.SKIPPED;
        }
        return switch (queue.delivery(messageId).orElseThrow().state()) {
            case FAILED -> Skip.SKIPPED;
            case DELIVERED -> Skip.ALREADY_DELIVERED;
            case QUEUED, SENDING, RETRYING, HELD -> Skip.IN_PROGRESS;
        };
    }

    /**
     * What the later messages of {@code phone} wait for under the configured ordering: its first delivery in line
     * that blocks them; empty when none does.
     */
    public Optional<Delivery> headOf(String phone) {
        return reads.head(phone, engine.ordering());
    }

    /** How many deliveries wait behind an earlier one of their phone, by their stored state. */
    public Map<DeliveryState, Long> waiting() {
        return reads.waiting(engine.ordering());
    }

    public Optional<MessageStatus> message(String messageId) {
        return reads.message(messageId);
    }

    public List<Attempt> attempts(String messageId) {
        return reads.attempts(messageId);
    }

    public List<MessageStatus> conversation(String phone, int limit, String beforeMessageId) {
        return reads.conversation(phone, limit, beforeMessageId);
    }

    public List<Conversation> conversations(int limit, Conversation.Position before) {
        return reads.conversations(limit, before);
    }

    public Optional<Conversation> conversationOf(String phone) {
        return reads.conversationOf(phone);
    }

    public Optional<Attachment> attachment(String attachmentId) {
        return attachments.attachment(attachmentId);
    }

    /**
     * The attachment's bytes; the caller closes the stream.
     *
     * @throws StorageException when its file cannot be read
     */
    public InputStream openAttachment(Attachment attachment) {
        return Channels.newInputStream(attachments.open(attachment.sha256()));
    }

    public Map<DeliveryState, Long> counts() {
        return reads.counts();
    }

    public AttemptMetrics metrics(List<Long> bucketMillis) {
        return reads.metrics(bucketMillis);
    }

    public AttemptStats stats() {
        return reads.stats();
    }

    /**
     * Failed attempts with their messages, the latest first, placed after {@code before} (from the latest when null);
     * kept in the store, so they outlive a restart.
     */
    public List<Failure> failures(int limit, Failure.Position before) {
        return reads.failures(limit, before);
    }

    /** Every delivery change, and every newly accepted message (as queued). */
    public void addDeliveryListener(Consumer<DeliveryEvent> listener) {
        engine.addListener(listener);
    }

    public void addCircuitListener(Consumer<CircuitBreaker.Snapshot> listener) {
        engine.addCircuitListener(listener);
    }

    public CircuitBreaker.Snapshot circuit() {
        return engine.circuit();
    }

    /** Closes the circuit at once, releasing every held delivery, each conversation in order. */
    public void resetCircuit() {
        LOG.info("circuit.reset", "🔄 Circuit reset by the operator");
        engine.resetCircuit();
    }

    /** Sends a {@code webhook.test} event now, through the circuit like any attempt. */
    public AttemptOutcome sendTestEvent() {
        return engine.sendTestEvent(ids.newEventId());
    }

    /** A test event to an endpoint not (yet) in force, outside the circuit: see {@link LiveConfig#trial}. */
    public AttemptOutcome sendTestEventTo(WebhookSender candidate) {
        return engine.sendTestEventTo(candidate, ids.newEventId());
    }

    /** The longest a caller watching {@code message}'s first attempt should wait for it once it has started. */
    public Duration attemptTimeout(Message message) {
        return engine.attemptTimeout(message);
    }
}
