package relay.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
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
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import relay.log.EventLog;
import relay.store.AttachmentStore.Written;
import relay.store.AttachmentStore;
import relay.store.StorageException;

/**
 * Attachment bytes under {@code DATA_DIR/attachments/}, each file named by the SHA-256 of its content, so the same
 * file uploaded twice is stored once. Uploads are streamed through a temp file and never held in memory.
 *
 * <p>Because two uploads can share one file, a file is only deleted when no attachment row uses it and no upload
 * holds it: {@link #write} places a file and holds it for its uploader until {@link #release}, which comes after its
 * row is committed (or the upload is dropped). Placing and deleting take one lock, so a file one upload found already
 * in place cannot be deleted under it by another upload's clean-up.
 *
 * <p>Failures of the disk (not of the uploader's stream) are thrown as {@link StorageException}; a folder removed
 * while running is created again.
 */
public final class AttachmentFiles {
    private static final EventLog LOG = EventLog.of(AttachmentFiles.class);
    private static final int BUFFER_BYTES = 64 * 1024;
    /** What a health probe writes: room for a commit's few pages, so success means small writes work again. */
    private static final int PROBE_BYTES = 64 * 1024;
    private static final String PART = "attachments";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final Path folder;
    private final Path temp;
    private final ReentrantLock placing = new ReentrantLock();
    /** Uploads placed but not yet released, by content; guarded by {@link #placing}. */
    private final Map<String, Integer> holds = new HashMap<>();

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

    /**
     * Streams {@code in} to disk while hashing and counting it. Reads at most {@code maxBytes + 1} bytes, so an
     * oversized upload is cut off as soon as it proves too large. A stored file is fsync'd and renamed into place
     * atomically: a crash leaves either the whole file or none. A stored file stays held for the caller until
     * {@link #release} of its SHA-256.
     *
     * @throws IOException      when reading {@code in} fails (the uploader's trouble); nothing is kept
     * @throws StorageException when the disk fails (full, read-only, folder gone); nothing is kept
     */
    public Written write(InputStream in, long maxBytes) throws IOException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        Path part = createPart();
        try {
            Written written = copy(in, part, maxBytes);
            if (written instanceof Written.Stored stored) {
                placeAndHold(part, stored.sha256());
            }
            return written;
        } finally {
            deleteQuietly(part);
        }
    }

    /** A new temp file; the folders are made again when someone removed them while the service ran. */
    private Path createPart() {
        try {
            try {
                return Files.createTempFile(temp, "upload-", ".part");
            } catch (NoSuchFileException e) {
                Files.createDirectories(temp);
                LOG.warn("attachments.recreated", "📁 The attachments folder was missing and was created again; "
                        + "files stored before are gone unless it is restored");
                return Files.createTempFile(temp, "upload-", ".part");
            }
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private Written copy(InputStream in, Path part, long maxBytes) throws IOException {
        MessageDigest sha256 = sha256();
        byte[] buffer = new byte[BUFFER_BYTES];
        byte[] head = new byte[AttachmentStore.HEAD_BYTES];
        int headLength = 0;
        long size = 0;
        FileChannel out = openForWriting(part);
        try {
            int read;
            // Only in.read throws IOException here: everything that touches the disk throws StorageException.
            while ((read = in.read(buffer, 0, nextReadLength(buffer.length, maxBytes - size))) > 0) {
                size += read;
                if (size > maxBytes) {
                    return new Written.TooLarge(maxBytes);
                }
                int toHead = Math.min(read, AttachmentStore.HEAD_BYTES - headLength);
                System.arraycopy(buffer, 0, head, headLength, toHead);
                headLength += toHead;
                sha256.update(buffer, 0, read);
                writeFully(out, ByteBuffer.wrap(buffer, 0, read));
            }
            force(out);
        } finally {
            close(out);
        }
        return new Written.Stored(HexFormat.of().formatHex(sha256.digest()), size, Arrays.copyOf(head, headLength));
    }

    /**
     * Same name means same content, so an existing file is already the right one and the copy is dropped. The hold
     * is taken under the lock that deletion takes, so the file found here stays until it is released.
     */
    private void placeAndHold(Path part, String sha256) {
        Path target = path(sha256);
        boolean moved;
        placing.lock();
        try {
            moved = !Files.exists(target);
            if (moved) {
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
            }
            holds.merge(sha256, 1, Integer::sum);
        } catch (IOException e) {
            throw failure(e);
        } finally {
            placing.unlock();
        }
        if (moved) {
            try {
                syncFolder();
            } catch (StorageException e) {
                release(sha256);
                throw e;
            }
        }
    }

    /** Ends one upload's hold on the file with this content (its row is committed, or the upload was dropped). */
    public void release(String sha256) {
        placing.lock();
        try {
            holds.computeIfPresent(sha256, (sha, count) -> count == 1 ? null : count - 1);
        } finally {
            placing.unlock();
        }
    }

    /**
     * Deletes the file with this content unless an upload holds it or {@code referenced} (asked under the lock, so
     * after every hold that was released) says an attachment row uses it.
     *
     * @return whether a file was deleted
     */
    boolean deleteUnlessUsed(String sha256, BooleanSupplier referenced) {
        Path file = path(sha256);
        placing.lock();
        try {
            return !holds.containsKey(sha256) && !referenced.getAsBoolean() && Files.deleteIfExists(file);
        } catch (IOException e) {
            throw failure(e);
        } finally {
            placing.unlock();
        }
    }

    /**
     * Writes, syncs, reads back and deletes a small file where uploads go: a disk that took this takes small writes
     * again. Creates the folders when they are missing.
     */
    void probe() {
        Path part = createPart();
        try {
            byte[] pattern = new byte[PROBE_BYTES];
            Arrays.fill(pattern, (byte) 'p');
            try (FileChannel out = openForWriting(part)) {
                writeFully(out, ByteBuffer.wrap(pattern));
                force(out);
            }
            if (!Arrays.equals(pattern, Files.readAllBytes(part))) {
                throw failure(new IOException("the probe file read back differently"));
            }
        } catch (IOException e) {
            throw failure(e);
        } finally {
            deleteQuietly(part);
        }
    }

    /** Makes the rename itself durable; without it a crash could forget a file whose message was accepted. */
    private void syncFolder() {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private static FileChannel openForWriting(Path part) {
        try {
            return FileChannel.open(part, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** One byte past the limit is enough to know it was exceeded; written so that no sum can overflow. */
    private static int nextReadLength(int bufferLength, long bytesLeft) {
        return bytesLeft < bufferLength ? (int) bytesLeft + 1 : bufferLength;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) {
        try {
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private static void close(FileChannel out) {
        try {
            out.close();
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private static void force(FileChannel out) {
        try {
            out.force(true);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** A temp file left behind is harmless (the next start clears it); failing the upload over it would not be. */
    private static void deleteQuietly(Path part) {
        try {
            Files.deleteIfExists(part);
        } catch (IOException e) {
            // left for the next start
        }
    }

    private static StorageException failure(IOException e) {
        return Faults.exception(Faults.of(e), PART, e);
    }

    /** Where the file with this content lives; rejects anything but a lower-case SHA-256 hex name. */
    public Path path(String sha256) {
        if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256 hex digest: " + sha256);
        }
        return folder.resolve(sha256);
    }

    /** @throws StorageException when the file cannot be opened (gone, unreadable) */
    SeekableByteChannel open(String sha256) {
        try {
            return Files.newByteChannel(path(sha256));
        } catch (IOException e) {
            throw failure(e);
        }
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

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
