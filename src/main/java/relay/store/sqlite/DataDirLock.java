package relay.store.sqlite;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One process's claim on a DATA_DIR, held for the outbox's life: two processes on the same folder would both
 * deliver the same messages. It is an OS lock on {@code DATA_DIR/chat.lock}, which the OS drops when the process
 * ends however it ends ({@code kill -9} included), so a file left behind never blocks the next start; the file's
 * text only says who holds it, for the line a refused start prints.
 */
final class DataDirLock implements AutoCloseable {
    static final String FILE = "chat.lock";
    private static final int MAX_HOLDER_CHARS = 200;

    /**
     * What this JVM holds, by the lock file's identity (device and inode), so that a second outbox on the same folder
     * is refused without opening the file again: on POSIX systems, closing any channel on a file drops every lock the
     * process holds on it, the first outbox's included.
     */
    private static final ConcurrentMap<Object, String> HELD = new ConcurrentHashMap<>();

    private final Object key;
    private final String holder;
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(Object key, String holder, FileChannel channel, FileLock lock) {
        this.key = key;
        this.holder = holder;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * @param folder the DATA_DIR, absolute, existing and writable
     * @throws IOException with one line fit for the operator when another process (or outbox) holds it
     */
    static DataDirLock acquire(Path folder, InstantSource clock) throws IOException {
        Path file = folder.resolve(FILE);
        createIfMissing(file);
        Object key = identity(file);
        String me = "pid " + ProcessHandle.current().pid() + " on host " + hostName() + " since "
                + clock.instant().truncatedTo(ChronoUnit.SECONDS);
        String holder = HELD.putIfAbsent(key, me);
        if (holder != null) {
            throw inUse(folder, holder);
        }
        try {
            return lock(folder, file, key, me);
        } catch (IOException | RuntimeException e) {
            HELD.remove(key, me);
            throw e;
        }
    }

    private static DataDirLock lock(Path folder, Path file, Object key, String me) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (AccessDeniedException e) {
            throw new IOException("DATA_DIR " + folder + " is not writable: " + FILE + " is read-only", e);
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                throw inUse(folder, holderIn(channel));
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new DataDirLock(key, me, channel, lock);
        } catch (OverlappingFileLockException e) {
            // Locked through a channel of this JVM that is not one of ours. Closing this one would drop that lock too,
            // so it is left open: a leak on a path our own locks never take (HELD refuses them first).
            throw inUse(folder, "this process (pid " + ProcessHandle.current().pid() + ")");
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    // A new file has no lock on it, so opening and closing it here drops nothing; an existing one is not opened.
    private static void createIfMissing(Path file) throws IOException {
        try {
            Files.createFile(file);
        } catch (FileAlreadyExistsException e) {
            // someone started here before
        }
    }

    private static Object identity(Path file) throws IOException {
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        return key != null ? key : file.toRealPath();
    }

    /** The holder's own description, written once it had the lock; read back cautiously, since anyone can edit it. */
    private static String holderIn(FileChannel channel) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(MAX_HOLDER_CHARS);
        channel.read(bytes, 0);
        String text = new String(bytes.array(), 0, bytes.position(), StandardCharsets.UTF_8).strip();
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            return "another process (starting up)";
        }
        return text;
    }

    private static IOException inUse(Path folder, String holder) {
        return new IOException("DATA_DIR " + folder + " is in use by " + holder
                + "; stop it first or use another DATA_DIR");
    }

    /** The kernel's name for the machine, without a DNS lookup that could stall the start. */
    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException | RuntimeException e) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException unknown) {
                return "(unknown)";
            }
        }
    }

    /**
     * Gives the folder up, the OS lock first and then this JVM's record of it; again is a no-op. The file stays: a
     * process that opened it meanwhile must find the same file, not lock one about to vanish.
     */
    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try {
            lock.release();
            channel.close();
        } finally {
            HELD.remove(key, holder);
        }
    }
}
