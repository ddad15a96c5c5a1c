package relay.store.sqlite;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.store.AttachmentStore;
import relay.store.StorageException;
import relay.store.StorageFault;

class AttachmentFilesTest {
    @TempDir
    Path folder;

    private AttachmentFiles files;

    @BeforeEach
    void openFiles() throws IOException {
        files = AttachmentFiles.open(folder);
    }

    @Test
    void shouldStoreContentUnderItsSha256WithItsSize() throws Exception {
        byte[] content = bytes(200_000);

        var stored = assertInstanceOf(AttachmentStore.Written.Stored.class,
                files.write(new ByteArrayInputStream(content), 1_000_000));

        assertEquals(sha256Hex(content), stored.sha256());
        assertEquals(content.length, stored.size());
        assertArrayEquals(content, Files.readAllBytes(files.path(stored.sha256())));
        try (InputStream in = Channels.newInputStream(files.open(stored.sha256()))) {
            assertArrayEquals(content, in.readAllBytes());
        }
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void shouldKeepTheFirstBytesAsHead() throws Exception {
        byte[] large = bytes(20_000);
        byte[] small = {'%', 'P', 'D', 'F', '-'};

        var largeStored = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(large), 100_000);
        var smallStored = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(small), 100_000);

        assertArrayEquals(Arrays.copyOf(large, AttachmentStore.HEAD_BYTES), largeStored.head());
        assertArrayEquals(small, smallStored.head());
    }

    @Test
    void shouldStopReadingAndKeepNothingWhenTooLarge() throws Exception {
        CountingInput endless = new CountingInput(10_000_000);

        var written = files.write(endless, 1000);

        assertEquals(new AttachmentStore.Written.TooLarge(1000), written);
        assertEquals(1001, endless.read, "reads one byte past the limit and no more");
        assertEquals(List.of(), storedFiles());
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void shouldAcceptContentOfExactlyTheLimit() throws Exception {
        byte[] content = bytes(1000);

        var written = files.write(new ByteArrayInputStream(content), 1000);

        assertEquals(1000, assertInstanceOf(AttachmentStore.Written.Stored.class, written).size());
    }

    @Test
    void shouldStoreDuplicateContentOnce() throws Exception {
        byte[] content = bytes(5000);

        var first = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(content), 10_000);
        var second = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(content), 10_000);

        assertEquals(first.sha256(), second.sha256());
        assertEquals(List.of(files.path(first.sha256())), storedFiles());
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void shouldStoreAnEmptyFile() throws Exception {
        var stored = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(new byte[0]), 10);

        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", stored.sha256());
        assertEquals(0, stored.size());
        assertEquals(0, stored.head().length);
    }

    @Test
    void shouldRefuseNamesThatAreNotDigests() {
        assertThrows(IllegalArgumentException.class, () -> files.path("../chat.db"));
        assertThrows(IllegalArgumentException.class, () -> files.path("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"));
    }

    @Test
    void shouldClearLeftoverTempFilesOnOpen() throws Exception {
        Files.writeString(folder.resolve("tmp").resolve("upload-1.part"), "cut short by a crash");

        AttachmentFiles.open(folder);

        assertEquals(List.of(), tempFiles());
    }

    @Test
    void shouldCreateTheFoldersAgainWhenTheyWereRemovedWhileRunning() throws Exception {
        deleteTree(folder);
        byte[] content = bytes(3000);

        var stored = assertInstanceOf(AttachmentStore.Written.Stored.class,
                files.write(new ByteArrayInputStream(content), 10_000));

        assertArrayEquals(content, Files.readAllBytes(files.path(stored.sha256())));
        assertEquals(List.of(), tempFiles());
    }

    @Test
    void shouldDeleteAFileOnlyWhenNoUploadHoldsItAndNoRowUsesIt() throws Exception {
        byte[] content = bytes(3000);
        var first = (AttachmentStore.Written.Stored) files.write(new ByteArrayInputStream(content), 10_000);
        files.write(new ByteArrayInputStream(content), 10_000);

        assertFalse(files.deleteUnlessUsed(first.sha256(), () -> false), "two uploads hold it");
        files.release(first.sha256());
        assertFalse(files.deleteUnlessUsed(first.sha256(), () -> false), "one upload still holds it");
        files.release(first.sha256());
        assertFalse(files.deleteUnlessUsed(first.sha256(), () -> true), "a row uses it");
        assertTrue(files.deleteUnlessUsed(first.sha256(), () -> false));

        assertEquals(List.of(), storedFiles());
    }

    @Test
    void shouldReportAFileTheDiskLostAsAStorageFaultWithoutItsPath() {
        StorageException gone = assertThrows(StorageException.class, () -> files.open("0".repeat(64)));

        assertEquals(StorageFault.UNREACHABLE, gone.fault());
        assertFalse(gone.getMessage().contains(folder.toString()), gone.getMessage());
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> all = Files.walk(root)) {
            for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    private List<Path> storedFiles() throws IOException {
        try (Stream<Path> list = Files.list(folder)) {
            return list.filter(Files::isRegularFile).toList();
        }
    }

    private List<Path> tempFiles() throws IOException {
        try (Stream<Path> list = Files.list(folder.resolve("tmp"))) {
            return list.toList();
        }
    }

    private static byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + i / 251);
        }
        return bytes;
    }

    private static String sha256Hex(byte[] content) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    /** A long stream of bytes that remembers how many were read from it. */
    private static final class CountingInput extends InputStream {
        private final long length;
        long read;

        CountingInput(long length) {
            this.length = length;
        }

        @Override
        public int read() {
            if (read == length) {
                return -1;
            }
            read++;
            return 'x';
        }

        @Override
        public int read(byte[] buffer, int offset, int count) {
            int n = (int) Math.min(count, length - read);
            if (n == 0) {
                return -1;
            }
            Arrays.fill(buffer, offset, offset + n, (byte) 'x');
            read += n;
            return n;
        }
    }
}
