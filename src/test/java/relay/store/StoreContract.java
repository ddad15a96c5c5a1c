package relay.store;

import java.nio.channels.SeekableByteChannel;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the store's contract tests stand on: a backend opened by the subclass on fresh storage, the seams it serves,
 * and a fixture on a fake clock. Every backend subclasses the same contracts ({@link DeliveryQueueContract},
 * {@link MessageReadsContract}, {@link AttachmentStoreContract}) and only says how it opens.
 */
public abstract class StoreContract {
    protected final StoreFixture fixture = new StoreFixture();
    protected DeliveryQueue queue;
    protected MessageReads reads;
    protected AttachmentStore attachments;
    private AutoCloseable backend;

    /**
     * The backend under test on this test's storage: empty on the first call; called again after the backend was
     * closed, it opens the same storage, as a restart does.
     */
    protected abstract Backend open(InstantSource clock) throws Exception;

    /** One backend's seams over one storage, and how to let it go. */
    protected record Backend(DeliveryQueue queue, MessageReads reads, AttachmentStore attachments,
                             AutoCloseable closer) {
        /** The usual backend: one object serving every seam. */
        public static <S extends DeliveryQueue & MessageReads & AttachmentStore & AutoCloseable> Backend of(S store) {
            return new Backend(store, store, store, store);
        }
    }

    @BeforeEach
    final void openBackend() throws Exception {
        use(open(fixture.clock));
    }

    @AfterEach
    final void closeBackend() throws Exception {
        backend.close();
    }

    /** Closes the backend and opens it again on the same storage. */
    protected final void reopen() throws Exception {
        backend.close();
        use(open(fixture.clock));
    }

    private void use(Backend opened) {
        queue = opened.queue();
        reads = opened.reads();
        attachments = opened.attachments();
        backend = opened.closer();
    }

    /** Whether content with this SHA-256 can be read from the store. */
    protected final boolean isStored(String sha256) throws Exception {
        try (SeekableByteChannel content = attachments.open(sha256)) {
            return content.isOpen();
        } catch (StorageException e) {
            return false;
        }
    }
}
