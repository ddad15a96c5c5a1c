package relay.webhook;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The secrets requests are signed with: the current one and, while a rotation lasts, the previous one too, so that a
 * receiver not yet given the new secret keeps verifying. Standard Webhooks lets {@code webhook-signature} carry several
 * space-separated signatures, any of which may match.
 *
 * @param previousUntil when the previous secret stops signing; meaningless without one
 */
public record SigningKeys(Optional<Signer> current, Optional<Signer> previous, Instant previousUntil) {
    public SigningKeys {
        Objects.requireNonNull(current);
        Objects.requireNonNull(previous);
        Objects.requireNonNull(previousUntil);
    }

    /** One secret, or none (requests go unsigned). */
    public static SigningKeys of(Optional<Signer> current) {
        return new SigningKeys(current, Optional.empty(), Instant.MIN);
    }

    /** Who signs a request sent at {@code now}: the current secret first, then the previous one until it expires. */
    List<Signer> at(Instant now) {
        List<Signer> signers = new ArrayList<>(2);
        current.ifPresent(signers::add);
        if (now.isBefore(previousUntil)) {
            previous.ifPresent(signers::add);
        }
        return signers;
    }
}
