package relay.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import relay.domain.Attachment;
import relay.domain.MessageKind;

class MessageValidatorTest {
    private static final long MAX_BYTES = 10 * 1024 * 1024;
    private static final String PHONE = "+55 11 99999-9999";
    private static final String E164 = "+5511999999999";
    private static final Attachment PHOTO = attachment("att_01jd8x5v4q3w2e1r0t9y8v7j6p", MAX_BYTES);
    private static final Attachment HUGE = attachment("att_01jd8x5v4q3w2e1r0t9y8v7j6z", MAX_BYTES + 1);

    private final List<String> lookedUp = new ArrayList<>();
    private final MessageValidator validator = new MessageValidator(new PhoneNumbers("BR"), id -> {
        lookedUp.add(id);
        return Optional.ofNullable(Map.of(PHOTO.id(), PHOTO, HUGE.id(), HUGE).get(id));
    }, MAX_BYTES);

    @Test
    void shouldAcceptTextAloneAndAnswerThePhoneInE164() {
        MessageValidator.Result result = validator.validate(new MessageDraft("(11) 99999-9999", "Olá!", null));

        assertEquals(valid(E164, "Olá!", null), result);
    }

    @Test
    void shouldAcceptAnAttachmentAloneAndTreatBlankTextAsAbsent() {
        MessageValidator.Result result = validator.validate(new MessageDraft(PHONE, " \n\t ", PHOTO.id()));

        assertEquals(valid(E164, null, PHOTO), result);
        assertEquals(List.of(PHOTO.id()), lookedUp);
    }

    @Test
    void shouldAcceptTextWithAnAttachment() {
        MessageDraft draft = new MessageDraft("11999999999", "see attached", PHOTO.id());

        MessageValidator.Result result = validator.validate(draft);

        assertEquals(valid(E164, "see attached", PHOTO), result);
    }

    @Test
    void shouldAcceptAUsNumberWrittenInternationally() {
        MessageValidator.Result result = validator.validate(new MessageDraft("+1 650-253-0000", "hi", null));

        assertEquals(valid("+16502530000", "hi", null), result);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = "   ")
    void shouldRequireAPhone(String phone) {
        assertError("phone_required", "phone", validator.validate(new MessageDraft(phone, "hi", null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"123", "+55 11 1234", "call me", "+999 1234567",
            "1234567890123456789012345678901234567890"})
    void shouldRequireAValidPhone(String phone) {
        assertError("invalid_phone", "phone", validator.validate(new MessageDraft(phone, "hi", null)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {" ", "\n\r\t", "\u3000\u2003"})
    void shouldRequireTextOrAnAttachment(String blank) {
        assertError("empty_message", "text", validator.validate(new MessageDraft(PHONE, blank, blank)));
    }

    @Test
    void shouldAcceptTextOfExactlyTheLimitCountedInCharactersNotUtf16Units() {
        String text = "😀".repeat(MessageValidator.MAX_TEXT_CODE_POINTS);

        MessageValidator.Result result = validator.validate(new MessageDraft(PHONE, text, null));

        assertEquals(valid(E164, text, null), result);
    }

    @Test
    void shouldRefuseTextOverTheLimit() {
        String text = "a".repeat(MessageValidator.MAX_TEXT_CODE_POINTS + 1);

        assertError("text_too_long", "text", validator.validate(new MessageDraft(PHONE, text, null)));
    }

    @Test
    void shouldRefuseTextWithNul() {
        assertError("text_has_nul", "text", validator.validate(new MessageDraft(PHONE, "a\u0000b", PHOTO.id())));
        assertError("text_has_nul", "text", validator.validate(new MessageDraft(PHONE, "\u0000", null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\uD800", "a\uD83D", "\uDE00b", "ok \uDE00\uD83D", "😀\uDC00"})
    void shouldRefuseTextWithAnUnpairedSurrogateRatherThanAlterIt(String text) {
        assertError("invalid_text", "text", validator.validate(new MessageDraft(PHONE, text, null)));
        assertError("invalid_text", "text", validator.validate(new MessageDraft(PHONE, text, PHOTO.id())));
    }

    @Test
    void shouldSayWhereTheUnpairedSurrogateIs() {
        MessageValidator.Result result = validator.validate(new MessageDraft(PHONE, "ab\uDE00", null));

        String message = assertInstanceOf(MessageValidator.Result.Invalid.class, result).error().message();
        assertTrue(message.contains("\\uDE00 at position 2"), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"\u200B", "\u200C\u200D", "\u2060", "\uFEFF", " \u200B \n", "\u00A0", "\u2007",
            "\u2800", "\u3164", "\u202E\u2066", "\u00AD", "\u0301", "\uFE0F", "\u001B\u0007", "\u0085\u2028",
            "\uDB40\uDC20", "\u180E"})
    void shouldRefuseTextWithNothingVisibleEvenBesideAnAttachment(String text) {
        assertError("text_blank", "text", validator.validate(new MessageDraft(PHONE, text, null)));
        assertError("text_blank", "text", validator.validate(new MessageDraft(PHONE, text, PHOTO.id())));
    }

    @ParameterizedTest
    @ValueSource(strings = {"👍", "👨\u200D👩\u200D👧", "a\u200Bb", "\u202Eabc", "é", "\u0915\u093F", "\uE000",
            "\u200B.\u200B", "مرحبا", "𝔸"})
    void shouldAcceptTextWithAVisibleCharacterExactlyAsGiven(String text) {
        assertEquals(valid(E164, text, null), validator.validate(new MessageDraft(PHONE, text, null)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "att_short", "ATT_01JD8X5V4Q3W2E1R0T9Y8V7J6Z",
            "msg_01jd8x5v4q3w2e1r0t9y8v7j6z", " att_01jd8x5v4q3w2e1r0t9y8v7j6z"})
    void shouldRefuseAMalformedAttachmentIdWithoutLookingItUp(String id) {
        assertError("invalid_attachment_id", "attachment_id", validator.validate(new MessageDraft(PHONE, "hi", id)));
        assertEquals(List.of(), lookedUp);
    }

    @Test
    void shouldRefuseAnAttachmentThatWasNeverUploaded() {
        String unknown = "att_01jd8x5v4q3w2e1r0t9y8v7j00";

        assertError("unknown_attachment", "attachment_id", validator.validate(new MessageDraft(PHONE, null, unknown)));
        assertEquals(List.of(unknown), lookedUp);
    }

    @Test
    void shouldRefuseAnAttachmentOverTheSizeLimit() {
        assertError("attachment_too_large", "attachment_id",
                validator.validate(new MessageDraft(PHONE, "hi", HUGE.id())));
    }

    @Test
    void shouldReportThePhoneFirstWhenEverythingIsWrong() {
        assertError("invalid_phone", "phone", validator.validate(new MessageDraft("123", "\u0000", "bad")));
    }

    @Test
    void shouldRefuseANonPositiveSizeLimit() {
        assertThrows(IllegalArgumentException.class,
                () -> new MessageValidator(new PhoneNumbers("BR"), id -> Optional.empty(), 0));
    }

    private static void assertError(String code, String field, MessageValidator.Result result) {
        ValidationError error = assertInstanceOf(MessageValidator.Result.Invalid.class, result).error();
        assertEquals(code, error.code());
        assertEquals(field, error.field());
        assertTrue(error.message().contains(field), error.message());
    }

    private static MessageValidator.Result valid(String phone, String text, Attachment attachment) {
        return new MessageValidator.Result.Valid(new ValidMessage(phone, text, attachment));
    }

    private static Attachment attachment(String id, long size) {
        return new Attachment(id, MessageKind.IMAGE, "photo.jpg", "image/jpeg", size, "0".repeat(64),
                Instant.parse("2025-01-01T00:00:00Z"));
    }
}
