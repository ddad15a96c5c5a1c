package relay.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Attachment bytes under {@code DATA_DIR/attachments/}, each file named by the SHA-256 of its content, so the same
 * file uploaded twice is stored once. Uploads are streamed through a temp file and never held in memory.
 */
public final class AttachmentFiles {
    /** How many leading bytes {@link Written.Stored#head()} keeps: enough for every magic number we look for. */
    public static final int HEAD_BYTES = 8192;
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final Path folder;
    private final Path temp;

    private AttachmentFiles(Path folder) {
        this.folder = folder;
        this.temp = folder.resolve("tmp");
    }

    /** Creates the folders and clears temp files that uploads cut short by a crash left behind. */
    static AttachmentFiles open(Path folder) throws IOException {
        AttachmentFiles files = new AttachmentFiles(folder);
        Files.createDirectories(files.temp);
        try (var leftovers = Files.list(files.temp)) {
            for (Path leftover : (Iterable<Path>) leftovers::iterator) {
                Files.deleteIfExists(leftover);
            }
        }
        return files;
    }

    /** What became of an upload. */
    public sealed interface Written {
        /** @param head the first up to {@link AttachmentFiles#HEAD_BYTES} bytes, for telling the kind from magic bytes */
        record Stored(String sha256, long size, byte[] head) implements Written {
        }

        /** More than {@code limitBytes} arrived; reading stopped there and nothing was kept. */
        record TooLarge(long limitBytes) implements Written {
        }
    }

    /**
     * Streams {@code in} to disk while hashing and counting it. Reads at most {@code maxBytes + 1} bytes, so an
     * oversized upload is cut off as soon as it proves too large. A stored file is fsync'd and renamed into place
     * atomically: a crash leaves either the whole file or none.
     */
    public Written write(InputStream in, long maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        Path part = Files.createTempFile(temp, "upload-", ".part");
        try {
            Written written = copy(in, part, maxBytes);
            if (written instanceof Written.Stored stored) {
                moveIntoPlace(part, path(stored.sha256()));
            }
            return written;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private Written copy(InputStream in, Path part, long maxBytes) throws IOException {
        MessageDigest sha256 = sha256();
        byte[] buffer = new byte[BUFFER_BYTES];
        byte[] head = new byte[HEAD_BYTES];
        int headLength = 0;
        long size = 0;
        try (FileChannel out = FileChannel.open(part, StandardOpenOption.WRITE)) {
            int read;
            while ((read = in.read(buffer, 0, nextReadLength(buffer.length, maxBytes - size))) > 0) {
                size += read;
                if (size > maxBytes) {
                    return new Written.TooLarge(maxBytes);
                }
                int toHead = Math.min(read, HEAD_BYTES - headLength);
                System.arraycopy(buffer, 0, head, headLength, toHead);
                headLength += toHead;
                sha256.update(buffer, 0, read);
                writeFully(out, ByteBuffer.wrap(buffer, 0, read));
            }
            out.force(true);
        }
        return new Written.Stored(HexFormat.of().formatHex(sha256.digest()), size, Arrays.copyOf(head, headLength));
    }

    // Same name means same content, so an existing file is already the right one and the copy is dropped.
    private void moveIntoPlace(Path part, Path target) throws IOException {
        if (Files.exists(target)) {
            return;
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        syncFolder();
    }

    /** Makes the rename itself durable; without it a crash could forget a file whose message was accepted. */
    private void syncFolder() throws IOException {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** One byte past the limit is enough to know it was exceeded; written so that no sum can overflow. */
    private static int nextReadLength(int bufferLength, long bytesLeft) {
        return bytesLeft < bufferLength ? (int) bytesLeft + 1 : bufferLength;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    /** Where the file with this content lives; rejects anything but a lower-case SHA-256 hex name. */
    public Path path(String sha256) {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256 hex digest: " + sha256);
        }
        return folder.resolve(sha256);
    }

    /** The content names of the files last written before {@code cutoff}, for housekeeping. */
    List<String> storedBefore(Instant cutoff) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (SHA256_HEX.matcher(name).matches() && writtenBefore(file, cutoff)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    private static boolean writtenBefore(Path file, Instant cutoff) throws IOException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return attributes.isRegularFile() && attributes.lastModifiedTime().toInstant().isBefore(cutoff);
        } catch (NoSuchFileException e) {
            return false; // deleted since it was listed
        }
    }

    public InputStream open(String sha256) throws IOException {
        return Files.newInputStream(path(sha256));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
