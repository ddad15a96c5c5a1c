package relay.webhook;

import java.nio.file.Path;

/** Where an attachment's bytes live on disk, by their SHA-256 (hex). */
@FunctionalInterface
public interface AttachmentSource {
    Path path(String sha256);
}
