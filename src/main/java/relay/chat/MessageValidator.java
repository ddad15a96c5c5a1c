package relay.chat;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import relay.domain.Attachment;

/** Checks a client's draft: a valid phone, and text or an attachment within their limits. */
public final class MessageValidator {
    /** WhatsApp's own limit for one message's text. */
    static final int MAX_TEXT_CODE_POINTS = 4096;

    private final PhoneNumbers phones;
    private final Function<String, Optional<Attachment>> attachmentLookup;
    private final long maxAttachmentBytes;

    /**
     * @param attachmentLookup finds an uploaded attachment by id; only called with ids that match
     *                         {@link Ids#isAttachmentId}
     */
    public MessageValidator(PhoneNumbers phones, Function<String, Optional<Attachment>> attachmentLookup,
                            long maxAttachmentBytes) {
        if (maxAttachmentBytes <= 0) {
            throw new IllegalArgumentException("maxAttachmentBytes must be positive: " + maxAttachmentBytes);
        }
        this.phones = Objects.requireNonNull(phones, "phones");
        this.attachmentLookup = Objects.requireNonNull(attachmentLookup, "attachmentLookup");
        this.maxAttachmentBytes = maxAttachmentBytes;
    }

    public sealed interface Result {
        record Valid(ValidMessage message) implements Result {}

        record Invalid(ValidationError error) implements Result {}
    }

    /** Answers the first problem found, checking the phone, then the text, then the attachment. */
    public Result validate(MessageDraft draft) {
        return switch (phones.parse(draft.phone())) {
            case PhoneNumbers.Result.Invalid invalid -> new Result.Invalid(invalid.error());
            case PhoneNumbers.Result.Valid phone -> validateContent(phone.e164(), draft);
        };
    }

    /** Empty or whitespace-only text is no text (an attachment alone); any other text must pass {@link #checkText}. */
    private Result validateContent(String e164, MessageDraft draft) {
        String text = isBlank(draft.text()) ? null : draft.text();
        Optional<ValidationError> textError = Optional.ofNullable(text).flatMap(MessageValidator::checkText);
        if (textError.isPresent()) {
            return new Result.Invalid(textError.get());
        }
        if (isBlank(draft.attachmentId())) {
            return text == null
                    ? invalid("empty_message", "text is required when no attachment is sent.", "text")
                    : new Result.Valid(new ValidMessage(e164, text, null));
        }
        return withAttachment(e164, text, draft.attachmentId());
    }

    private Result withAttachment(String e164, String text, String id) {
        if (!Ids.isAttachmentId(id)) {
            return invalid("invalid_attachment_id", "attachment_id is not a valid attachment id.", "attachment_id");
        }
        Optional<Attachment> found = attachmentLookup.apply(id);
        if (found.isEmpty()) {
            return invalid("unknown_attachment", "attachment_id names no uploaded attachment.", "attachment_id");
        }
        if (found.get().size() > maxAttachmentBytes) {
            return invalid("attachment_too_large",
                    "attachment_id names a file larger than the " + maxAttachmentBytes + " bytes allowed.",
                    "attachment_id");
        }
        return new Result.Valid(new ValidMessage(e164, text, found.get()));
    }

    /**
     * Text is sent exactly as given or refused, never altered: no NUL, no surrogate without its pair, at most
     * {@link #MAX_TEXT_CODE_POINTS} characters, and at least one character that shows.
     */
    private static Optional<ValidationError> checkText(String text) {
        if (text.indexOf('\u0000') >= 0) {
            return textError("text_has_nul", "text must not contain NUL characters.");
        }
        OptionalInt lone = Characters.loneSurrogate(text);
        if (lone.isPresent()) {
            return textError("invalid_text", "text must be well-formed Unicode: it has an unpaired surrogate "
                    + String.format("\\u%04X", (int) text.charAt(lone.getAsInt())) + " at position "
                    + lone.getAsInt() + " (UTF-16 units from 0).");
        }
        int length = text.codePointCount(0, text.length());
        if (length > MAX_TEXT_CODE_POINTS) {
            return textError("text_too_long",
                    "text must be at most " + MAX_TEXT_CODE_POINTS + " characters long (it has " + length + ").");
        }
        if (!Characters.hasVisible(text)) {
            return textError("text_blank", "text must contain at least one visible character, not only spaces, "
                    + "zero-width or other invisible characters; leave text out to send only an attachment.");
        }
        return Optional.empty();
    }

    private static Optional<ValidationError> textError(String code, String message) {
        return Optional.of(new ValidationError(code, message, "text"));
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }

    private static Result.Invalid invalid(String code, String message, String field) {
        return new Result.Invalid(new ValidationError(code, message, field));
    }
}
