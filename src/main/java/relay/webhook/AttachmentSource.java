package relay.webhook;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/** Where an attachment's bytes are read from, by their SHA-256 (hex). */
@FunctionalInterface
public interface AttachmentSource {
    /**
     * The bytes and their size; the caller closes the channel.
     *
     * @throws IOException when they cannot be read (a store may throw its {@link relay.store.StorageException})
     */
    SeekableByteChannel open(String sha256) throws IOException;
}
