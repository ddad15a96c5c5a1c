package relay.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static relay.testing.RunningApp.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import relay.AppProcess;
import relay.domain.DeliveryState;
import relay.domain.NewMessage;
import relay.store.sqlite.SqliteStore;
import relay.testing.RunningApp;
import relay.testing.SqliteOnly;
import relay.testing.StubResolver;

/**
 * A hostile environment gets a clear message, never a stack trace alone: start-up problems stop the service with
 * exit code 2 and one line saying what to fix, and a damaged or missing chat.db never turns into an empty start;
 * an endpoint nobody answers opens the circuit with the reason recorded.
 * (A port already in use is covered by {@code MainProcessTest}, a DATA_DIR in use by {@code DataDirInUseTest}.)
 */
class BadEnvironmentTest {
    private static final int PAGE_SIZE = 4096;

    @TempDir
    Path dir;

    private int exitCodeFor(Map<String, String> env, String expectedLine) throws Exception {
        try (AppProcess app = AppProcess.start(dir, env)) {
            int code = app.awaitExit();
            assertTrue(app.output().contains(expectedLine), app.output());
            assertFalse(app.output().contains("\tat "), "no stack trace: " + app.output());
            return code;
        }
    }

    @Test
    @SqliteOnly("SQLite's check of its folder: on PostgreSQL the data is not in DATA_DIR")
    void shouldStopWithAClearLineWhenDataDirIsNotWritable() throws Exception {
        Path readOnly = Files.createDirectory(dir.resolve("read-only"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r-x------")));
        // Permissions do not bind root; a folder the kernel refuses to create does.
        Path dataDir = Files.isWritable(readOnly) ? Path.of("/sys/chat-webhook-relay-data") : readOnly.resolve("data");

        int code = exitCodeFor(Map.of("PORT", "0", "DATA_DIR", dataDir.toString()),
                "start-up error: DATA_DIR " + dataDir + " is not writable");

        assertEquals(2, code);
    }

    @Test
    @SqliteOnly("overwrites chat.db")
    void shouldStopWithAClearLineWhenChatDbIsCorrupt() throws Exception {
        Path dataDir = Files.createDirectory(dir.resolve("data"));
        Files.writeString(dataDir.resolve("chat.db"), "this is not a database, it was overwritten by mistake\n");

        int code = exitCodeFor(Map.of("PORT", "0", "DATA_DIR", dataDir.toString()),
                "start-up error: chat.db is not a valid database: " + dataDir.resolve("chat.db"));

        assertEquals(2, code);
    }

    @Test
    @SqliteOnly("damages a page of chat.db")
    void shouldStopWithAClearLineWhenChatDbFailsItsIntegrityCheck() throws Exception {
        Path dataDir = dir.resolve("data");
        try (SqliteStore outbox = SqliteStore.open(dataDir, InstantSource.system())) {
            for (int i = 0; i < 500; i++) {
                outbox.accept(new NewMessage("msg_" + i, "+5511999999999", "message " + i + " " + "x".repeat(200),
                        null, Instant.now()), DeliveryState.QUEUED);
            }
        }
        Path database = dataDir.resolve("chat.db");
        long middlePage = Files.size(database) / PAGE_SIZE / 2;
        try (FileChannel file = FileChannel.open(database, StandardOpenOption.WRITE)) {
            file.write(ByteBuffer.wrap(new byte[PAGE_SIZE]), middlePage * PAGE_SIZE);
        }

        int code = exitCodeFor(Map.of("PORT", "0", "DATA_DIR", dataDir.toString()),
                "start-up error: chat.db failed its integrity check: " + database + " (");

        assertEquals(2, code);
    }

    @Test
    @SqliteOnly("empties chat.db beside attachment files")
    void shouldStopRatherThanStartEmptyWhenChatDbIsEmptyBesideAttachments() throws Exception {
        Path dataDir = dir.resolve("data");
        Path attachments = Files.createDirectories(dataDir.resolve("attachments"));
        Files.writeString(attachments.resolve("ab".repeat(32)), "a contract someone sent");
        Files.createFile(dataDir.resolve("chat.db"));

        int code = exitCodeFor(Map.of("PORT", "0", "DATA_DIR", dataDir.toString()),
                "start-up error: chat.db in " + dataDir + " is empty (0 bytes) while attachments/ holds files:"
                        + " starting would show an empty store over data that was there; restore chat.db from a"
                        + " backup, or move chat.db and attachments/ aside to start empty");

        assertEquals(2, code);
        assertEquals(0, Files.size(dataDir.resolve("chat.db")), "left as it was found");
    }

    @Test
    void shouldOpenTheCircuitAndRecordWhyWhenNothingListensAtTheWebhook() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try (RunningApp app = startFailingFast(dir, "http://127.0.0.1:" + closedPort + "/webhook")) {
            JsonNode status = openCircuitAfterTwoMessages(app);

            assertEquals("connection refused by 127.0.0.1:" + closedPort,
                    status.path("recent_failures").get(0).path("error").asText());
        }
    }

    /** The seed's own test, {@code https://url-inexistente.com/webhook}, answered by a resolver stub, not real DNS. */
    @Test
    void shouldOpenTheCircuitAndRecordTheDnsErrorForAHostThatDoesNotResolve() throws Exception {
        try (RunningApp app = startFailingFast(dir, "https://url-inexistente.com/webhook")) {
            JsonNode status = openCircuitAfterTwoMessages(app);

            assertEquals("unknown host url-inexistente.com",
                    status.path("recent_failures").get(0).path("error").asText());
            assertTrue(StubResolver.refused().contains("url-inexistente.com"), "the stub answered the lookup");
            assertEquals("https://url-inexistente.com/…", status.path("webhook").path("url").asText());
        }
    }

    private static RunningApp startFailingFast(Path dir, String webhookUrl) throws IOException {
        return RunningApp.start(dir.resolve("data"), Map.of("WEBHOOK_URL", webhookUrl, "WEBHOOK_MAX_RETRIES", "0",
                "CIRCUIT_FAILURE_THRESHOLD", "2"));
    }

    private static JsonNode openCircuitAfterTwoMessages(RunningApp app) {
        app.awaitStatus(app.sendText("+5511999999999", "one"), "failed");
        app.awaitStatus(app.sendText("+5511999999999", "two"), "failed");
        JsonNode status = app.await("/chat/webhook-status",
                s -> s.path("circuit").path("state").asText().equals("open"));
        String held = app.sendText("+5511999999999", "three");
        assertEquals("held", app.awaitStatus(held, "held").path("status").asText());
        assertEquals(2, json(app.get("/chat/webhook-status")).path("stats").path("attempts").asInt(),
                "nothing is attempted while the circuit is open");
        return status;
    }
}
