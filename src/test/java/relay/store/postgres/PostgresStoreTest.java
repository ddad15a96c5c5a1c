package relay.store.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import relay.domain.DeliveryState;
import relay.store.AttachmentStore;
import relay.store.StorageException;
import relay.store.StorageFault;
import relay.store.StoreFixture;
import relay.testing.Postgres;
import relay.testing.Seed;

/** What the PostgreSQL store does beyond the seams' contracts (the Postgres*Test classes run those). */
class PostgresStoreTest {
    private static final String ALICE = "+5511999990001";

    @RegisterExtension
    final Seed seed = Seed.fromSystemProperty();

    private final StoreFixture fixture = new StoreFixture();
    private final Postgres.Database database = Postgres.newDatabase();

    @Test
    void shouldAnswerUnreachableWhenItsConnectionIsLostAndRecoverByItself() throws Exception {
        try (PostgresStore store = TestDatabases.open(database, fixture.clock)) {
            StorageException lost = assertThrows(StorageException.class, () -> store.transaction(connection ->
                    Sql.exists(connection, "SELECT pg_terminate_backend(pg_backend_pid())")));

            assertEquals(StorageFault.UNREACHABLE, lost.fault());
            assertEquals(Optional.of(StorageFault.UNREACHABLE), store.fault(), "an incident is open");
            assertEquals(1, fixture.accept(store, ALICE, "after the connection came back").sequence());
            assertEquals(Optional.empty(), store.fault(), "the next write closed the incident");
        }
    }

    @Test
    void shouldRefuseToOpenWhatCannotBeReachedSayingWhyWithoutThePassword() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        String unreachable = "jdbc:postgresql://127.0.0.1:" + closedPort + "/chat";

        IOException refused = assertThrows(IOException.class, () -> PostgresStore.open(unreachable, "relay",
                "s3cr3t-Pa55word", "postgres://relay@127.0.0.1:" + closedPort + "/chat", 2, fixture.clock));
        IOException wrongPassword = assertThrows(IOException.class, () -> PostgresStore.open(database.jdbcUrl(),
                database.user(), "not-the-Pa55word", database.jdbcUrl(), 2, fixture.clock));

        assertTrue(refused.getMessage().startsWith("PostgreSQL at postgres://relay@127.0.0.1:" + closedPort
                + "/chat cannot be used: "), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("(SQLSTATE 08001)"), refused.getMessage());
        assertTrue(wrongPassword.getMessage().contains("password authentication failed"), wrongPassword.getMessage());
        assertFalse(refused.getMessage().contains("Pa55word") || wrongPassword.getMessage().contains("Pa55word"));
    }

    @Test
    void shouldRefuseADatabaseMigratedByANewerBuild() throws Exception {
        try (PostgresStore store = TestDatabases.open(database, fixture.clock)) {
            store.transaction(connection -> Sql.update(connection, "INSERT INTO schema_version (version) VALUES (?)",
                    Schema.CURRENT_VERSION + 1));
        }

        IOException refused = assertThrows(IOException.class, () -> TestDatabases.open(database, fixture.clock));

        assertTrue(refused.getMessage().contains("is newer than this build's " + Schema.CURRENT_VERSION),
                refused.getMessage());
    }

    @Test
    void shouldLeaveNoChunksOfAnUploadThatWasTooLargeOrWhoseStreamFailed() throws Exception {
        try (PostgresStore store = TestDatabases.open(database, fixture.clock)) {
            long size = Chunks.CHUNK_BYTES + 10;
            InputStream failing = new SequenceInputStream(generated(1, size), new InputStream() {
                @Override
                public int read() throws IOException {
                    throw new IOException("the uploader hung up");
                }
            });

            assertEquals(new AttachmentStore.Written.TooLarge(size - 1), store.upload(generated(1, size), size - 1));
            IOException hungUp = assertThrows(IOException.class, () -> store.upload(failing, 10 * size));

            assertEquals("the uploader hung up", hungUp.getMessage());
            long left = store.transaction(connection -> Sql.number(connection,
                    "SELECT (SELECT COUNT(*) FROM attachment_chunks) + (SELECT COUNT(*) FROM upload_staging)"));
            assertEquals(0, left, "chunks or staging rows left behind");
        }
    }

    /** Several chunks and a part of one, written from a stream and read back in reads that straddle chunks. */
    @Test
    void shouldStreamContentOfManyChunksBothWays() throws Exception {
        long size = 3L * Chunks.CHUNK_BYTES + 12_345;
        long contentSeed = seed.random().nextLong();
        try (PostgresStore store = TestDatabases.open(database, fixture.clock)) {
            var stored = (AttachmentStore.Written.Stored) store.upload(generated(contentSeed, size), size);

            assertEquals(size, stored.size());
            assertEquals(sha256(generated(contentSeed, size)), stored.sha256());
            MessageDigest readBack = MessageDigest.getInstance("SHA-256");
            try (SeekableByteChannel channel = store.open(stored.sha256())) {
                assertEquals(size, channel.size());
                ByteBuffer buffer = ByteBuffer.allocate(300_007);
                while (channel.read(buffer.clear()) > 0) {
                    readBack.update(buffer.flip());
                }
                channel.position(Chunks.CHUNK_BYTES - 2);
                ByteBuffer straddling = ByteBuffer.allocate(4);
                channel.read(straddling);
                byte[] expected = new byte[4];
                try (InputStream again = generated(contentSeed, size)) {
                    again.skipNBytes(Chunks.CHUNK_BYTES - 2);
                    again.readNBytes(expected, 0, 4);
                }
                assertArrayEquals(expected, straddling.array());
            }
            assertEquals(stored.sha256(), HexFormat.of().formatHex(readBack.digest()));
            assertEquals(DeliveryState.values().length, store.counts().size());
        }
    }

    /** {@code size} seeded pseudo-random bytes, each made from its position as it is read: never whole in memory. */
    private static InputStream generated(long seed, long size) {
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                return position < size ? byteAt(seed, position++) & 0xFF : -1;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) {
                if (position >= size) {
                    return -1;
                }
                int count = (int) Math.min(length, size - position);
                for (int i = 0; i < count; i++) {
                    bytes[offset + i] = byteAt(seed, position++);
                }
                return count;
            }
        };
    }

    /** SplitMix64's finalizer over the position. */
    private static byte byteAt(long seed, long position) {
        long z = seed + position * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (byte) (z ^ (z >>> 31));
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[64 * 1024];
        for (int read; (read = in.read(buffer)) > 0; ) {
            digest.update(buffer, 0, read);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
