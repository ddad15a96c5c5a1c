package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import relay.store.sqlite.StoreSeams;
import relay.testing.LogCapture;
import relay.testing.RunningApp;
import relay.testing.SqliteOnly;

/**
 * A full disk over real HTTP: 507 and nothing half-stored while it is full, {@code /healthz} degraded, one log line
 * per incident and no stack trace, and everything working again as soon as space is freed, without a restart.
 *
 * <p>Which disk runs is in each test's name and its output. As root (make test, CI) DATA_DIR is on a 4 MiB tmpfs
 * that really fills ({@code real tmpfs}). Otherwise SQLite's page limit stands in for it ({@code page-limit seam}, see
 * {@link StoreSeams}): chat.db fails with SQLITE_FULL as on a full disk, but an upload's bytes still find room, so
 * the test of an upload running out of space mid-stream is skipped.
 */
@SqliteOnly("fills the disk under chat.db, or SQLite's page limit through the store's seam")
class FullDiskTest {
    private static final String PHONE = "+5511999999999";
    private static final int CHUNK = 64 * 1024;

    @TempDir
    Path dir;

    private final LogCapture log = LogCapture.start();
    private Disk disk;
    private RunningApp app;
    private Path mounted;

    enum Kind {
        TMPFS("real tmpfs"), PAGE_LIMIT("page-limit seam");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** The real tmpfs when this user may mount one, unless {@code RELAY_FULL_DISK=seam} asks for the seam. */
    static Stream<Kind> disk() {
        boolean seam = "seam".equals(System.getenv("RELAY_FULL_DISK"));
        return Stream.of(!seam && Tmpfs.available() ? Kind.TMPFS : Kind.PAGE_LIMIT);
    }

    private void start(Kind kind) throws IOException {
        System.out.println("FullDiskTest: DATA_DIR on a " + kind);
        Path mount = Files.createDirectory(dir.resolve("disk"));
        if (kind == Kind.TMPFS) {
            Tmpfs.mount(mount);
            mounted = mount;
        }
        app = RunningApp.start(mount.resolve("data"), Map.of());
        disk = kind == Kind.TMPFS ? new Tmpfs(mount) : new PageLimit(app);
    }

    @AfterEach
    void stop() throws IOException {
        log.close();
        if (app != null) {
            app.close();
        }
        if (mounted != null) {
            Tmpfs.unmount(mounted);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("disk")
    void shouldAnswer507AndStoreNothingWhileFullThenWorkAgainAsSoonAsSpaceIsFreed(Kind kind) throws IOException {
        start(kind);
        app.sendText(PHONE, "before the disk filled");
        disk.fill();

        int acceptedWhileFull = sendUntilRefused(3);
        HttpResponse<String> health = app.get("/healthz");
        List<HttpResponse<String>> uploads = uploadUntilRefused();
        int uploadedWhileFull = uploads.size() - 1;

        assertEquals(503, health.statusCode());
        assertEquals("degraded", json(health).path("status").asText(), health.body());
        assertEquals("full", json(health).path("store").asText(), health.body());
        assertRefusedForSpace(uploads.getLast());
        assertEquals(1 + acceptedWhileFull, thread().size(), "a refused message left nothing behind");
        assertEquals(uploadedWhileFull, storedFiles().size(), "a refused upload left no file behind");
        assertEquals(List.of(), tempFiles(), "nor a temp file");

        disk.free();

        assertEquals(uploadedWhileFull, attachmentRows(), "a refused upload left no attachment row behind");
        app.await("/healthz", body -> body.path("status").asText().equals("ok"));
        assertEquals(200, app.get("/healthz").statusCode());
        app.sendText(PHONE, "after space was freed");
        assertEquals(201, upload(pdf(CHUNK, 99)).statusCode());
        assertEquals(2 + acceptedWhileFull, thread().size());
        assertLoggedOncePerIncident();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("disk")
    void shouldAnswer507ForAnUploadThatRunsOutOfSpaceMidStream(Kind kind) throws IOException {
        assumeTrue(kind == Kind.TMPFS, "only a real file system runs out of space under a stream");
        start(kind);
        disk.fill();
        ((Tmpfs) disk).freeAbout(4 * CHUNK);
        byte[] large = pdf(16 * CHUNK, 7);

        assertRefusedForSpace(upload(large));

        assertEquals(List.of(), storedFiles());
        assertEquals(List.of(), tempFiles());
        disk.free();
        assertEquals(201, upload(large).statusCode());
        assertFalse(log.text().contains("\tat "), "no stack trace: " + log.text());
    }

    /**
     * Sends texts until {@code refusals} were refused for space; returns how many were accepted meanwhile. A full disk
     * does not refuse every write: once a checkpoint has emptied the write-ahead log, a small commit can reuse its
     * space.
     */
    private int sendUntilRefused(int refusals) {
        int accepted = 0;
        int refused = 0;
        for (int i = 0; i < 5000 && refused < refusals; i++) {
            HttpResponse<String> response = postText(sameSize("while full " + i));
            if (response.statusCode() == 202) {
                accepted++;
            } else {
                assertRefusedForSpace(response);
                refused++;
            }
        }
        assertEquals(refusals, refused, "the disk never filled");
        return accepted;
    }

    /** Distinct files until one is refused; the last response is the refusal. */
    private List<HttpResponse<String>> uploadUntilRefused() {
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            HttpResponse<String> response = upload(pdf(CHUNK, i));
            responses.add(response);
            if (response.statusCode() != 201) {
                return responses;
            }
        }
        return fail("no upload was refused");
    }

    private static void assertRefusedForSpace(HttpResponse<String> response) {
        assertEquals(507, response.statusCode(), response.body());
        JsonNode error = json(response).path("error");
        assertEquals("insufficient_storage", error.path("code").asText(), response.body());
        assertTrue(error.path("message").asText().contains("disk is full"), response.body());
        assertTrue(error.has("field") && error.path("field").isNull(), response.body());
    }

    /**
     * Each part of the store (chat.db, attachments) logged an incident when a write first failed and its end when one
     * next succeeded: lines alternate, repeats are silent. (A write can succeed on a full disk, in space the
     * write-ahead log already had; under the seam, a row that still fits a page.)
     */
    private void assertLoggedOncePerIncident() {
        Map<String, List<String>> byPart = new TreeMap<>();
        for (JsonNode line : log.lines()) {
            String event = line.path("event").asText();
            if (event.equals("store.full") || event.equals("store.recovered")) {
                byPart.computeIfAbsent(line.path("part").asText(), part -> new ArrayList<>()).add(event);
            }
        }
        assertTrue(byPart.containsKey("chat.db"), log.text());
        for (List<String> events : byPart.values()) {
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i % 2 == 0 ? "store.full" : "store.recovered", events.get(i), log.text());
            }
            assertEquals("store.recovered", events.getLast(), log.text());
        }
        assertFalse(log.text().contains("\tat "), "no stack trace: " + log.text());
    }

    /** Texts of one length: under the seam, one refused for want of a page is not followed by a shorter that fits. */
    private static String sameSize(String text) {
        return String.format("%-600s", text).replace(' ', '.');
    }

    private HttpResponse<String> postText(String text) {
        return app.postJson("/chat/messages", "{\"phone\":\"" + PHONE + "\",\"text\":\"" + text + "\"}");
    }

    private HttpResponse<String> upload(byte[] pdf) {
        return app.upload(pdf, "application/pdf", "report.pdf");
    }

    private JsonNode thread() {
        return json(app.get("/chat/messages?phone=%2B5511999999999&limit=200")).path("messages");
    }

    /** Read from chat.db itself: the API lists attachments only through their messages. */
    private long attachmentRows() {
        Path database = disk.attachments().resolveSibling("chat.db");
        try (Connection connection = DriverManager.getConnection("jdbc:sqlite:file:" + database + "?mode=ro");
             ResultSet count = connection.createStatement().executeQuery("SELECT COUNT(*) FROM attachments")) {
            count.next();
            return count.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private List<Path> storedFiles() throws IOException {
        try (Stream<Path> files = Files.list(disk.attachments())) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private List<Path> tempFiles() throws IOException {
        try (Stream<Path> files = Files.list(disk.attachments().resolve("tmp"))) {
            return files.toList();
        }
    }

    /** A PDF by its magic bytes, {@code size} long, its content told apart by {@code seed}. */
    private static byte[] pdf(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        byte[] magic = "%PDF-1.7\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(magic, 0, bytes, 0, magic.length);
        return bytes;
    }

    private interface Disk {
        void fill() throws IOException;

        void free() throws IOException;

        Path attachments();
    }

    /** A small tmpfs: filled with files of 64 KiB until the kernel says no space is left. */
    private static final class Tmpfs implements Disk {
        private final Path mount;
        private final List<Path> fillers = new ArrayList<>();

        Tmpfs(Path mount) {
            this.mount = mount;
        }

        static boolean available() {
            try {
                Path probe = Files.createTempDirectory("tmpfs-probe");
                try {
                    mount(probe);
                    unmount(probe);
                    return true;
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException | IllegalStateException e) {
                return false;
            }
        }

        static void mount(Path at) throws IOException {
            run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", at.toString());
        }

        static void unmount(Path at) throws IOException {
            run("umount", at.toString());
        }

        @Override
        public void fill() throws IOException {
            byte[] chunk = new byte[CHUNK];
            try {
                while (true) {
                    Path filler = mount.resolve("filler-" + fillers.size());
                    fillers.add(filler);
                    try (OutputStream out = Files.newOutputStream(filler)) {
                        out.write(chunk);
                    }
                }
            } catch (IOException e) {
                if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                    throw e;
                }
            }
        }

        /** Deletes fillers until at least {@code bytes} are free. */
        void freeAbout(long bytes) throws IOException {
            for (long freed = 0; freed < bytes; freed += CHUNK) {
                Files.delete(fillers.removeLast());
            }
        }

        @Override
        public void free() throws IOException {
            for (Path filler : fillers) {
                Files.deleteIfExists(filler);
            }
            fillers.clear();
        }

        @Override
        public Path attachments() {
            return mount.resolve("data").resolve("attachments");
        }

        private static void run(String... command) throws IOException {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try {
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (process.waitFor() != 0) {
                    throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** chat.db refused new pages, as on a full disk; the attachment files still find room. */
    private record PageLimit(RunningApp app) implements Disk {
        @Override
        public void fill() {
            StoreSeams.limitPages(app.app().store(), 0);
        }

        @Override
        public void free() {
            StoreSeams.liftPageLimit(app.app().store());
        }

        @Override
        public Path attachments() {
            return app.app().store().files().path("0".repeat(64)).getParent();
        }
    }
}
