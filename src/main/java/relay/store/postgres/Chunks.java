package relay.store.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import relay.store.AttachmentStore;
import relay.store.AttachmentStore.Written;
import relay.store.StorageException;
import relay.store.StorageFault;

/**
 * Attachment bytes inside PostgreSQL, so instances need no shared folder: each content (named by its SHA-256) is
 * {@code attachment_chunks} rows of {@value #CHUNK_BYTES} bytes, keyed by the SHA-256 and the chunk's index, and one
 * {@code attachment_contents} row. Both ways the bytes stream a chunk at a time: an upload of any size, and a
 * delivery reading it, hold one chunk in memory.
 *
 * <p>Content is shared by every upload of the same bytes and deleted only when no attachment row uses it and no
 * upload holds it. A hold is an {@code upload_holds} row, so an upload on one instance is safe from a clean-up on
 * another. Placing content, recording an attachment and deleting content each take the content's advisory lock,
 * as SQLite's store takes its one lock around its files.
 */
final class Chunks {
    static final int CHUNK_BYTES = 1024 * 1024;
    /** The key space of {@link #lockContent}'s advisory locks (the phones' lines are 1). */
    private static final int CONTENT_LOCKS = 2;
    private static final String INSERT_CHUNK = "INSERT INTO attachment_chunks (sha256, chunk_index, bytes)"
            + " VALUES (?, ?, ?)";
    private static final String NEW_CONTENT = "INSERT INTO attachment_contents (sha256, size, stored_at)"
            + " VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING";
    private static final String NAME_CHUNKS = "UPDATE attachment_chunks SET sha256 = ? WHERE sha256 = ?";
    private static final String DELETE_CHUNKS = "DELETE FROM attachment_chunks WHERE sha256 = ?";
    private static final String HOLD = "INSERT INTO upload_holds (sha256, held_at) VALUES (?, ?)";
    private static final String STAGE = "INSERT INTO upload_staging (staging_key, started_at) VALUES (?, ?)";
    private static final String UNSTAGE = "DELETE FROM upload_staging WHERE staging_key = ?";
    private static final String RELEASE = "DELETE FROM upload_holds WHERE line ="
            + " (SELECT line FROM upload_holds WHERE sha256 = ? ORDER BY line LIMIT 1)";
    private static final String CONTENT_SIZE = "SELECT size FROM attachment_contents WHERE sha256 = ?";
    private static final String DELETE_UNUSED = "DELETE FROM attachment_contents c WHERE sha256 = ?"
            + " AND NOT EXISTS (SELECT 1 FROM upload_holds h WHERE h.sha256 = c.sha256)"
            + " AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.sha256 = c.sha256)";
    private static final String CHUNK = "SELECT bytes FROM attachment_chunks WHERE sha256 = ? AND chunk_index = ?";

    private Chunks() {
    }

    /**
     * Streams {@code in} into chunk rows while hashing and counting it, each chunk committed on its own (no
     * connection is held while the uploader is slow): the chunks go under a staging key until the SHA-256 is known,
     * then one transaction makes them the content's (or drops them when the content was stored already) and records
     * the upload's hold. An upload that fails or is too large leaves nothing behind; one cut short by a crash leaves
     * a staging row that housekeeping clears.
     *
     * @throws IOException when reading {@code in} fails
     */
    static Written upload(Database database, InputStream in, long maxBytes, Instant now) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        String staging = "upload:" + UUID.randomUUID();
        database.transaction(connection -> Sql.update(connection, STAGE, staging, now));
        boolean placed = false;
        try {
            MessageDigest sha256 = sha256();
            byte[] chunk = new byte[CHUNK_BYTES];
            byte[] head = new byte[AttachmentStore.HEAD_BYTES];
            int headLength = 0;
            long size = 0;
            for (int index = 0; ; index++) {
                int filled = fill(in, chunk, maxBytes - size);
                if (filled == 0) {
                    break;
                }
                size += filled;
                if (size > maxBytes) {
                    return new Written.TooLarge(maxBytes);
                }
                int toHead = Math.min(filled, head.length - headLength);
                System.arraycopy(chunk, 0, head, headLength, toHead);
                headLength += toHead;
                sha256.update(chunk, 0, filled);
                byte[] bytes = filled == chunk.length ? chunk : Arrays.copyOf(chunk, filled);
                int chunkIndex = index;
                database.transaction(connection -> Sql.update(connection, INSERT_CHUNK, staging, chunkIndex, bytes));
            }
            String name = HexFormat.of().formatHex(sha256.digest());
            long total = size;
            database.transaction(connection -> place(connection, staging, name, total, now));
            placed = true;
            return new Written.Stored(name, total, Arrays.copyOf(head, headLength));
        } finally {
            if (!placed) {
                discardStagingQuietly(database, staging);
            }
        }
    }

    /**
     * Writes {@code in} as the content named {@code sha256}, in the caller's transaction (a copy from another store,
     * all or nothing), a chunk at a time, checking that the bytes are the ones the name says.
     *
     * @return the content's size
     * @throws IOException when {@code in} cannot be read or its bytes do not hash to {@code sha256}
     */
    static long copyIn(Connection connection, String sha256, InputStream in, Instant now)
            throws IOException, SQLException {
        MessageDigest digest = sha256();
        byte[] chunk = new byte[CHUNK_BYTES];
        long size = 0;
        for (int index = 0; ; index++) {
            int filled = fill(in, chunk, chunk.length);
            if (filled == 0) {
                break;
            }
            digest.update(chunk, 0, filled);
            size += filled;
            Sql.update(connection, INSERT_CHUNK, sha256, index,
                    filled == chunk.length ? chunk : Arrays.copyOf(chunk, filled));
        }
        if (!HexFormat.of().formatHex(digest.digest()).equals(sha256)) {
            throw new IOException("the bytes of attachment content " + sha256 + " do not match its SHA-256 (a damaged"
                    + " file?)");
        }
        Sql.update(connection, NEW_CONTENT, sha256, size, now);
        return size;
    }

    /** The staged chunks become the content (or go, when it is stored already), held for the uploader. */
    private static Void place(Connection connection, String staging, String name, long size, Instant now)
            throws SQLException {
        lockContent(connection, name);
        if (Sql.update(connection, NEW_CONTENT, name, size, now) == 1) {
            Sql.update(connection, NAME_CHUNKS, name, staging);
        } else {
            Sql.update(connection, DELETE_CHUNKS, staging);
        }
        Sql.update(connection, UNSTAGE, staging);
        Sql.update(connection, HOLD, name, now);
        return null;
    }

    /** After a failure that is being reported already: what is left is cleared by housekeeping. */
    private static void discardStagingQuietly(Database database, String staging) {
        try {
            database.transaction(connection -> discardStaging(connection, staging));
        } catch (StorageException | UncheckedIOException e) {
            // housekeeping clears it later
        }
    }

    static int discardStaging(Connection connection, String staging) throws SQLException {
        Sql.update(connection, DELETE_CHUNKS, staging);
        return Sql.update(connection, UNSTAGE, staging);
    }

    /**
     * Reads until {@code buffer} is full or the stream ends, but at most one byte more than {@code bytesLeft}: enough
     * to know the limit was passed.
     */
    private static int fill(InputStream in, byte[] buffer, long bytesLeft) throws IOException {
        int want = (int) Math.min(buffer.length, bytesLeft + 1);
        int filled = 0;
        while (filled < want) {
            int read = in.read(buffer, filled, want - filled);
            if (read < 0) {
                break;
            }
            filled += read;
        }
        return filled;
    }

    /** Until the transaction ends, no one else places, records or deletes this content. */
    static void lockContent(Connection connection, String sha256) throws SQLException {
        Sql.first(connection, "SELECT pg_advisory_xact_lock(?, hashtext(?))", row -> true, CONTENT_LOCKS, sha256);
    }

    /** Whether the content is stored; call holding its lock. */
    static boolean isStored(Connection connection, String sha256) throws SQLException {
        return Sql.exists(connection, CONTENT_SIZE, sha256);
    }

    /** Ends one upload's hold on the content. */
    static void release(Connection connection, String sha256) throws SQLException {
        Sql.update(connection, RELEASE, sha256);
    }

    /** Deletes the content unless an upload holds it or an attachment row uses it; whether it was deleted. */
    static boolean deleteIfUnused(Connection connection, String sha256) throws SQLException {
        lockContent(connection, sha256);
        if (Sql.update(connection, DELETE_UNUSED, sha256) == 0) {
            return false;
        }
        Sql.update(connection, DELETE_CHUNKS, sha256);
        return true;
    }

    /** @throws StorageException (unreachable) when the content is not stored */
    static SeekableByteChannel open(Database database, String sha256) {
        long size = database.transaction(connection -> Sql.first(connection, CONTENT_SIZE, row -> row.getLong(1),
                sha256)).orElseThrow(() -> new StorageException(StorageFault.UNREACHABLE, Faults.PART,
                "no such attachment content", null));
        return new ChunkChannel(database, sha256, size);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The content read a chunk at a time, each chunk fetched when a read reaches it. */
    private static final class ChunkChannel implements SeekableByteChannel {
        private final Database database;
        private final String sha256;
        private final long size;
        private long position;
        private boolean open = true;
        private int chunkIndex = -1;
        private byte[] chunk;

        ChunkChannel(Database database, String sha256, long size) {
            this.database = database;
            this.sha256 = sha256;
            this.size = size;
        }

        @Override
        public int read(ByteBuffer destination) throws IOException {
            requireOpen();
            if (position >= size) {
                return -1;
            }
            int total = 0;
            while (destination.hasRemaining() && position < size) {
                byte[] bytes = chunkAt(Math.toIntExact(position / CHUNK_BYTES));
                int offset = (int) (position % CHUNK_BYTES);
                int length = Math.min(destination.remaining(), bytes.length - offset);
                if (length <= 0) {
                    throw new IOException("attachment content " + sha256 + " is shorter than its size");
                }
                destination.put(bytes, offset, length);
                position += length;
                total += length;
            }
            return total;
        }

        private byte[] chunkAt(int index) throws IOException {
            if (index != chunkIndex) {
                try {
                    chunk = database.transaction(connection -> Sql.first(connection, CHUNK, row -> row.getBytes(1),
                            sha256, index)).orElseThrow(() -> new IOException("chunk " + index + " of attachment"
                            + " content " + sha256 + " is missing (deleted while it was read?)"));
                } catch (StorageException | UncheckedIOException e) {
                    throw new IOException("attachment content " + sha256 + " could not be read", e);
                }
                chunkIndex = index;
            }
            return chunk;
        }

        @Override
        public int write(ByteBuffer source) {
            throw new NonWritableChannelException();
        }

        @Override
        public long position() throws IOException {
            requireOpen();
            return position;
        }

        @Override
        public SeekableByteChannel position(long newPosition) throws IOException {
            requireOpen();
            if (newPosition < 0) {
                throw new IllegalArgumentException("negative position " + newPosition);
            }
            position = newPosition;
            return this;
        }

        @Override
        public long size() throws IOException {
            requireOpen();
            return size;
        }

        @Override
        public SeekableByteChannel truncate(long newSize) {
            throw new NonWritableChannelException();
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            chunk = null;
        }

        private void requireOpen() throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
        }
    }
}
