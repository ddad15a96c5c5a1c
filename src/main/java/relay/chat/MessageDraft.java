package relay.chat;

/**
 * A message as the client sent it, not yet checked; any field may be null.
 *
 * @param phone        as typed, e.g. {@code (11) 99999-9999}
 * @param attachmentId an id from an earlier upload, e.g. {@code att_01j…}
 */
public record MessageDraft(String phone, String text, String attachmentId) {
}
