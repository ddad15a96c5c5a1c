package relay.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.util.Optional;
import relay.domain.Attachment;

/**
 * Uploaded files and their rows. The same content uploaded twice is stored once, named by its SHA-256 (hex), so
 * content is only deleted when no attachment row uses it and no upload holds it: {@link #upload} holds what it
 * stored until {@link #saveAttachment} or {@link #discardUnreferencedFile} of its content. Failures of the storage
 * (not of the uploader's stream) are thrown as {@link StorageException}.
 */
public interface AttachmentStore {
    /** How many leading bytes {@link Written.Stored#head()} keeps: enough for every magic number we look for. */
    int HEAD_BYTES = 8192;

    /** What became of an upload. */
    sealed interface Written {
        /** @param head the first up to {@link #HEAD_BYTES} bytes, for telling the kind from magic bytes */
        record Stored(String sha256, long size, byte[] head) implements Written {
        }

        /** More than {@code limitBytes} arrived; reading stopped there and nothing was kept. */
        record TooLarge(long limitBytes) implements Written {
        }
    }

    /**
     * Streams an upload into storage, never whole in memory, while hashing and counting it; reading stops as soon as
     * it proves larger than {@code maxBytes}. Stored content is held for the caller (see above).
     *
     * @throws IOException      when reading {@code in} fails (the uploader's trouble); nothing is kept
     * @throws StorageException when the storage fails; nothing is kept
     */
    Written upload(InputStream in, long maxBytes) throws IOException;

    /**
     * Records an attachment whose content {@link #upload} stored, and ends the upload's hold on it. When the row
     * cannot be stored, the content goes too (unless something else uses it): nothing is half-stored.
     *
     * @throws StorageException when its content is gone, or the store fails
     */
    void saveAttachment(Attachment attachment);

    /**
     * Drops an upload whose bytes were stored but that was then refused (e.g. not a kind we send): ends its hold and
     * deletes the content unless an attachment row or another upload in progress uses it.
     *
     * @return whether content was deleted
     */
    boolean discardUnreferencedFile(String sha256);

    /**
     * Removes an attachment that no message uses (its upload belonged to a request that was then refused), and its
     * content unless other attachments share it. The content goes only once the row's removal is committed.
     *
     * @return whether the attachment was removed
     */
    boolean discardAttachment(String attachmentId);

    Optional<Attachment> attachment(String attachmentId);

    /**
     * The stored bytes of this content, with their size; the caller closes the channel.
     *
     * @throws StorageException when it cannot be opened (gone, unreadable)
     */
    SeekableByteChannel open(String sha256);
}
