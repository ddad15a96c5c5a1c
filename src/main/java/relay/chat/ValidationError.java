package relay.chat;

import java.util.Objects;

/**
 * Why a client's input was refused.
 *
 * @param code    machine-readable, snake_case, stable (e.g. {@code invalid_phone}); clients switch on it
 * @param message a human sentence naming the field
 * @param field   the input field at fault, as named in the API (e.g. {@code phone}, {@code attachment_id})
 */
public record ValidationError(String code, String message, String field) {

    public ValidationError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(field, "field");
    }
}
