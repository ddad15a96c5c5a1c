package relay.chat;

import relay.domain.Attachment;

/**
 * A draft that passed {@link MessageValidator}: ready to be stored and sent.
 *
 * @param phone      E.164, e.g. {@code +5511999999999}
 * @param text       null when absent (blank text counts as absent)
 * @param attachment null when absent
 */
public record ValidMessage(String phone, String text, Attachment attachment) {
}
