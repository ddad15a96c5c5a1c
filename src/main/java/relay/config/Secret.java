package relay.config;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;

/**
 * A configured secret ({@code WEBHOOK_SECRET}, {@code APP_TOKEN}). Its {@link #toString()} never reveals the value,
 * so a secret that slips into a log line or a status answer shows as a mask.
 */
public final class Secret {
    private final String value;

    public Secret(String value) {
        this.value = value;
    }

    /** The secret itself, for the one place that needs it (signing, comparing a presented token). */
    public String reveal() {
        return value;
    }

    /** Constant-time comparison, so response timing does not leak how much of a guess was right. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(value.getBytes(StandardCharsets.UTF_8), presented.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "********";
    }
}
